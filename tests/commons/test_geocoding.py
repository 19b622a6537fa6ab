"""Reading a Nominatim-style answer defensively, and asking the search as Nominatim expects."""

from __future__ import annotations

import json

import httpx2
import pytest

from commons.geocoding import GeocoderUnavailable, parse_places, search_places

BERNE_50 = {
    "lat": "46.2113190",
    "lon": "6.1466810",
    "display_name": "50, Rue de Berne, Les Pâquis, Genève, 1201, Suisse",
    "address": {"road": "Rue de Berne", "house_number": "50", "postcode": "1201", "city": "Genève"},
}


def test_a_found_place_gives_its_coordinates_and_address() -> None:
    [place] = parse_places([BERNE_50])
    assert (place.latitude, place.longitude) == (46.211319, 6.146681)
    assert place.street == "Rue de Berne 50"
    assert (place.postal_code, place.locality) == ("1201", "Genève")
    assert place.label.startswith("50, Rue de Berne")


def test_odd_entries_are_left_out() -> None:
    odd = [
        "not an object",
        {"lat": "nan", "lon": "6.1", "display_name": "Nowhere"},
        {"lat": "91", "lon": "6.1", "display_name": "Beyond the pole"},
        {"lat": "46.2", "lon": "6.1"},
        {"lat": "46.2", "lon": "6.1", "display_name": "A village", "address": ["odd"]},
        {**BERNE_50, "address": {"village": "Meyrin", "postcode": 1217}},
    ]
    found = parse_places(odd)
    assert [place.label for place in found] == ["A village", BERNE_50["display_name"]]
    assert found[0].street == found[0].locality == found[0].postal_code == ""
    assert (found[1].locality, found[1].postal_code) == ("Meyrin", "")


def test_an_answer_that_is_not_a_list_is_unusable() -> None:
    with pytest.raises(GeocoderUnavailable):
        parse_places({"error": "Unable to geocode"})


async def test_the_search_is_asked_for_details_in_the_readers_language() -> None:
    asked: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        asked.append(request)
        return httpx2.Response(200, json=[BERNE_50] * 9)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(answer)) as http:
        found = await search_places(http, "https://geo.example/search", "Rue de Berne 50", "fr")

    assert len(found) == 5
    parameters = dict(asked[0].url.params)
    assert parameters == {
        "q": "Rue de Berne 50",
        "format": "jsonv2",
        "addressdetails": "1",
        "limit": "5",
        "accept-language": "fr",
    }


@pytest.mark.parametrize(
    "response",
    [
        httpx2.Response(503, text="busy"),
        httpx2.Response(200, text="<html>not json</html>"),
        httpx2.Response(200, content=json.dumps([BERNE_50] * 2000).encode()),
    ],
    ids=["unavailable", "not-json", "too-large"],
)
async def test_a_search_that_cannot_answer_says_so(response: httpx2.Response) -> None:
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(lambda _: response)) as http:
        with pytest.raises(GeocoderUnavailable):
            await search_places(http, "https://geo.example/search", "Rue de Berne", "fr")


async def test_an_unreachable_search_says_so() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(refuse)) as http:
        with pytest.raises(GeocoderUnavailable):
            await search_places(http, "https://geo.example/search", "Rue de Berne", "fr")
