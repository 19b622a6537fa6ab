"""The offer form: what a person typed, read back into
:class:`commons.offers.fields.OfferFields`, and every refusal as a sentence next to its field.

What was typed is always kept in ``values`` so a refused form comes back filled in. Numbers are
read as people in Geneva write them (``1,5`` or ``1.5``; ``12.50`` or ``12,50`` francs), the
date until which an offer stands as the end of that day in Geneva.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile

from commons.offers.fields import MAX_IMAGES, OfferFields
from config.errors import DomainError
from storage.integers import MAX_INTEGER
from storage.models import Offer
from storage.models.offers import FREE, OFFER
from webui import i18n
from webui.error_messages import message as error_message
from webui.form_dates import end_of_day, read_day
from webui.uploads import read_upload

GENEVA = ZoneInfo("Europe/Zurich")
TEXT_FIELDS = (
    "author", "purpose", "kind", "title", "description", "category", "quantity", "unit",
    "available_quantity", "minimum_quantity", "reciprocity", "exchange_for", "price",
    "place_name", "street_address", "locality", "latitude", "longitude", "valid_until",
)  # fmt: skip
IMAGE_SLOTS = tuple(range(1, MAX_IMAGES + 1))


def kind_labels() -> dict[str, str]:
    """In the reader's language (built once per language: a page asks for it per card)."""
    return _kind_labels(i18n.current_locale.get())


@lru_cache(maxsize=16)
def _kind_labels(language: str) -> dict[str, str]:
    _ = i18n.gettext
    return {
        "emploi": _("Job"),
        "logement": _("Housing"),
        "troc": _("Barter"),
        "pret": _("Lending"),
        "don": _("Gift"),
        "service": _("Service"),
        "besoin": _("Need"),
    }


def purpose_labels() -> dict[str, str]:
    """In the reader's language (built once per language: a page asks for it per card)."""
    return _purpose_labels(i18n.current_locale.get())


@lru_cache(maxsize=16)
def _purpose_labels(language: str) -> dict[str, str]:
    _ = i18n.gettext
    return {"offer": _("I offer"), "request": _("I am looking for")}


def reciprocity_labels() -> dict[str, str]:
    """In the reader's language (built once per language: a page asks for it per card)."""
    return _reciprocity_labels(i18n.current_locale.get())


@lru_cache(maxsize=16)
def _reciprocity_labels(language: str) -> dict[str, str]:
    _ = i18n.gettext
    return {
        "free": _("Free"),
        "exchange": _("In exchange for something"),
        "price": _("For a price in francs"),
    }


def unit_labels() -> dict[str, str]:
    """In the reader's language (built once per language: a page asks for it per card)."""
    return _unit_labels(i18n.current_locale.get())


@lru_cache(maxsize=16)
def _unit_labels(language: str) -> dict[str, str]:
    _ = i18n.gettext
    return {
        "one": _("pieces"),
        "kilogram": _("kilograms"),
        "litre": _("litres"),
        "hour": _("hours"),
        "day": _("days"),
        "month": _("months"),
    }


@dataclass
class OfferForm:
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    fields: OfferFields | None = None
    images: list[tuple[bytes, str]] = field(default_factory=list)

    def refuse(self, refusal: DomainError | str, where: str | None = None) -> None:
        """Show a refusal (a service's error, or a code the form finds) by its field."""
        if isinstance(refusal, DomainError):
            where = where or refusal.field
        self.errors.setdefault(where or "title", error_message(refusal))


def blank_values(city: str) -> dict[str, Any]:
    return {"author": "", "purpose": OFFER, "kind": "don", "unit": "one", "reciprocity": FREE,
            "locality": city, "online": False, "unit_based": False}  # fmt: skip


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def values_of(offer: Offer, author_name: str) -> dict[str, Any]:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    price = offer.price_centimes
    return {
        "author": author_name,
        "purpose": offer.purpose,
        "kind": offer.kind,
        "title": offer.title,
        "description": offer.description_source or "",
        "category": text(offer.category),
        "quantity": _number(offer.quantity),
        "unit": offer.unit,
        "unit_based": offer.unit_based,
        "available_quantity": _number(offer.available_quantity),
        "minimum_quantity": _number(offer.minimum_quantity),
        "reciprocity": offer.reciprocity,
        "exchange_for": text(offer.exchange_for),
        "price": f"{price // 100}.{price % 100:02d}" if price is not None else "",
        "place_name": text(offer.place_name),
        "street_address": text(offer.street_address),
        "locality": text(offer.locality),
        "latitude": text(offer.latitude),
        "longitude": text(offer.longitude),
        "online": offer.online,
        "valid_until": offer.valid_until.astimezone(GENEVA).date().isoformat()
        if offer.valid_until
        else "",
    }


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def read_number(raw: str) -> float | None:
    """``1,5`` or ``1.5`` (spaces and apostrophes between thousands allowed); None if unreadable."""
    cleaned = raw.replace("'", "").replace("’", "").replace(" ", "").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_centimes(raw: str) -> int | None:
    cleaned = raw.upper().removeprefix("CHF").replace("'", "").replace(" ", "").replace(",", ".")
    cleaned = cleaned.removesuffix(".-").removesuffix(".–")
    try:
        amount = Decimal(cleaned)
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            return None
    except InvalidOperation:  # quantize refuses an amount of more digits than it can keep
        return None
    centimes = int(amount * 100)
    return centimes if abs(centimes) <= MAX_INTEGER else None


def read_until(raw: str) -> datetime | None:
    """The end of that day in Geneva, from ``2026-12-31`` or ``31.12.2026``."""
    day = read_day(raw)
    return end_of_day(day) if day is not None else None


async def read_offer_form(form: FormData) -> OfferForm:
    """What was typed, and OfferFields when it can be read (the services check the rest)."""
    values: dict[str, Any] = {name: _text(form, name) for name in TEXT_FIELDS}
    values["online"] = form.get("online") == "1"
    values["unit_based"] = form.get("unit_based") == "1"
    result = OfferForm(values)
    numbers: dict[str, float | None] = {}
    for name in ("quantity", "available_quantity", "minimum_quantity"):
        number = read_number(values[name]) if values[name] else None
        numbers[name] = number
        if values[name] and (number is None or number <= 0):
            result.refuse("bad_quantity", name)
    price = None
    if values["reciprocity"] == "price":
        price = read_centimes(values["price"]) if values["price"] else None
        if price is None:
            result.refuse("bad_price", "price")
    until = read_until(values["valid_until"]) if values["valid_until"] else None
    if values["valid_until"] and until is None:
        result.refuse("until_past", "valid_until")
    latitude = longitude = None
    if values["latitude"] or values["longitude"]:
        latitude, longitude = read_number(values["latitude"]), read_number(values["longitude"])
        if latitude is None or longitude is None:
            result.refuse("bad_coordinates", "latitude")
    for slot in IMAGE_SLOTS:
        upload = form.get(f"image{slot}")
        values[f"image{slot}_alt"] = _text(form, f"image{slot}_alt")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await read_upload(upload)
            if data:
                result.images.append((data, values[f"image{slot}_alt"]))
                if not values[f"image{slot}_alt"]:
                    result.refuse("missing_alt", f"image{slot}_alt")
    if result.errors:
        return result
    result.fields = OfferFields(
        kind=values["kind"],
        title=values["title"],
        purpose=values["purpose"],
        description=values["description"],
        category=values["category"],
        quantity=numbers["quantity"],
        unit=values["unit"] or "one",
        unit_based=bool(values["unit_based"]),
        available_quantity=numbers["available_quantity"],
        minimum_quantity=numbers["minimum_quantity"],
        reciprocity=values["reciprocity"] or FREE,
        exchange_for=values["exchange_for"],
        price_centimes=price,
        place_name=values["place_name"],
        street_address=values["street_address"],
        locality=values["locality"],
        latitude=latitude,
        longitude=longitude,
        online=bool(values["online"]),
        valid_until=until,
    )
    return result


def form_options() -> dict[str, Any]:
    return {
        "purpose_options": list(purpose_labels().items()),
        "kind_options": list(kind_labels().items()),
        "reciprocity_options": list(reciprocity_labels().items()),
        "unit_options": list(unit_labels().items()),
        "image_slots": IMAGE_SLOTS,
    }
