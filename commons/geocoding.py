"""Finding a place from its address, through a Nominatim-style search the admin chose (optional).

The address search only helps: a venue can always be placed by typing its coordinates or by
clicking on the map. The server asks the configured search (``webui.geocoder_url``) on behalf of
the browser, so no third party learns who organises what, and the answer is read defensively.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import httpx2

MAX_RESULTS = 5
MAX_ANSWER_BYTES = 256 * 1024
TIMEOUT_SECONDS = 6.0


class GeocoderUnavailable(Exception):
    """The search could not be asked or gave nothing usable."""


@dataclass(frozen=True, slots=True)
class FoundPlace:
    label: str
    latitude: float
    longitude: float
    street: str
    postal_code: str
    locality: str

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "street": self.street,
            "postal_code": self.postal_code,
            "locality": self.locality,
        }


def _coordinate(value: Any, limit: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or abs(number) > limit:
        return None
    return round(number, 6)


def _text(value: Any, length: int = 200) -> str:
    return value.strip()[:length] if isinstance(value, str) else ""


def parse_places(answer: Any) -> list[FoundPlace]:
    """Places from a Nominatim ``jsonv2`` answer with ``addressdetails``; odd entries are left out."""
    if not isinstance(answer, list):
        raise GeocoderUnavailable("the search did not answer with a list")
    found: list[FoundPlace] = []
    for entry in answer:
        if not isinstance(entry, dict):
            continue
        latitude = _coordinate(entry.get("lat"), 90)
        longitude = _coordinate(entry.get("lon"), 180)
        label = _text(entry.get("display_name"), 300)
        if latitude is None or longitude is None or not label:
            continue
        details = entry.get("address")
        address: dict[str, Any] = details if isinstance(details, dict) else {}
        street = " ".join(
            part
            for part in (_text(address.get("road")), _text(address.get("house_number")))
            if part
        )
        locality = next(
            (
                _text(address.get(key))
                for key in ("city", "town", "village", "municipality")
                if _text(address.get(key))
            ),
            "",
        )
        found.append(
            FoundPlace(
                label, latitude, longitude, street, _text(address.get("postcode"), 16), locality
            )
        )
        if len(found) == MAX_RESULTS:
            break
    return found


async def search_places(
    http: httpx2.AsyncClient, geocoder_url: str, query: str, language: str
) -> list[FoundPlace]:
    """Ask the configured search for ``query``; GeocoderUnavailable when it cannot answer."""
    parameters = {
        "q": query,
        "format": "jsonv2",
        "addressdetails": "1",
        "limit": str(MAX_RESULTS),
        "accept-language": language,
    }
    try:
        async with http.stream(
            "GET", geocoder_url, params=parameters, timeout=TIMEOUT_SECONDS
        ) as response:
            if response.status_code != 200:
                raise GeocoderUnavailable(f"the search answered {response.status_code}")
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise GeocoderUnavailable("the search answered too much")
    except httpx2.HTTPError as error:
        raise GeocoderUnavailable(f"the search cannot be reached: {error}") from None
    try:
        return parse_places(json.loads(body))
    except ValueError:
        raise GeocoderUnavailable("the search did not answer JSON") from None
