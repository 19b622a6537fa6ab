"""What a person types to describe an offer or a request: the limits, the checks, and the copy
onto the row. Every refusal is an :class:`config.errors.Invalid` naming the field it concerns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

from commons.markdown import render_markdown, sanitize_html
from commons.offers.search_words import offer_words
from commons.offers.vocabulary import KINDS, UNITS
from config.errors import ErrorCode, Invalid
from storage.models import Offer, utcnow
from storage.models.offers import EXCHANGE, OFFER, PRICE, PURPOSES, RECIPROCITIES

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_QUANTITY = 1_000_000
MAX_PRICE_CENTIMES = 100_000_000
MAX_IMAGES = 4
TEXT_LIMITS = {
    "category": 100,
    "exchange_for": 500,
    "place_name": 255,
    "street_address": 255,
    "locality": 255,
}


@dataclass
class OfferFields:
    """An offer or request as typed (``valid_until`` an aware datetime, a price in centimes)."""

    kind: str
    title: str
    purpose: str = OFFER
    description: str = ""
    category: str | None = None
    quantity: float | None = None
    unit: str = "one"
    unit_based: bool = False
    available_quantity: float | None = None
    minimum_quantity: float | None = None
    reciprocity: str = "free"
    exchange_for: str | None = None
    price_centimes: int | None = None
    place_name: str | None = None
    street_address: str | None = None
    locality: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    online: bool = False
    valid_until: datetime | None = None
    description_html: str | None = None
    """Sanitized HTML another server or a client sent; ``description`` is then its text."""


def _clean(value: str | None, limit: int) -> str | None:
    text = (value or "").strip()
    return text[:limit] if text else None


def _check_quantity(value: float | None, name: str) -> None:
    if value is not None and not (math.isfinite(value) and 0 < value <= MAX_QUANTITY):
        raise Invalid(ErrorCode.BAD_QUANTITY, name)


def check_fields(
    fields: OfferFields, *, now: datetime | None = None, allow_past: bool = False
) -> OfferFields:
    """The fields, trimmed and checked, or :class:`Invalid` naming the field. An offer another
    server sends may already be over (``allow_past``): it is kept, and shown as over."""
    if fields.purpose not in PURPOSES:
        raise Invalid(ErrorCode.INVALID_PURPOSE, "purpose")
    if fields.kind not in KINDS:
        raise Invalid(ErrorCode.INVALID_OFFER_KIND, "kind")
    title = fields.title.strip()
    if not title:
        raise Invalid(ErrorCode.REQUIRED, "title")
    if len(title) > MAX_TITLE:
        raise Invalid(ErrorCode.TITLE_TOO_LONG, "title")
    if len(fields.description) > MAX_DESCRIPTION:
        raise Invalid(ErrorCode.DESCRIPTION_TOO_LONG, "description")
    if fields.unit not in UNITS:
        raise Invalid(ErrorCode.INVALID_UNIT, "unit")
    _check_quantity(fields.quantity, "quantity")
    _check_quantity(fields.available_quantity, "available_quantity")
    _check_quantity(fields.minimum_quantity, "minimum_quantity")
    available, minimum = fields.available_quantity, fields.minimum_quantity
    if available is not None and minimum is not None and minimum > available:
        raise Invalid(ErrorCode.BAD_QUANTITY, "minimum_quantity")
    texts = {name: _clean(getattr(fields, name), limit) for name, limit in TEXT_LIMITS.items()}
    if fields.reciprocity not in RECIPROCITIES:
        raise Invalid(ErrorCode.INVALID_RECIPROCITY, "reciprocity")
    if fields.reciprocity == EXCHANGE and texts["exchange_for"] is None:
        raise Invalid(ErrorCode.MISSING_EXCHANGE, "exchange_for")
    price = fields.price_centimes if fields.reciprocity == PRICE else None
    if fields.reciprocity == PRICE and (price is None or not 0 < price <= MAX_PRICE_CENTIMES):
        raise Invalid(ErrorCode.BAD_PRICE, "price")
    latitude, longitude = fields.latitude, fields.longitude
    if (latitude is None) != (longitude is None):
        raise Invalid(ErrorCode.BAD_COORDINATES, "latitude")
    if latitude is not None and longitude is not None and not (
        math.isfinite(latitude) and math.isfinite(longitude)
        and -90 <= latitude <= 90 and -180 <= longitude <= 180
    ):  # fmt: skip
        raise Invalid(ErrorCode.BAD_COORDINATES, "latitude")
    if fields.valid_until is not None:
        if fields.valid_until.tzinfo is None:
            raise Invalid(ErrorCode.INVALID_TIMEZONE, "valid_until")
        if not allow_past and fields.valid_until <= (now or utcnow()):
            raise Invalid(ErrorCode.UNTIL_PAST, "valid_until")
    return replace(
        fields,
        title=title,
        category=texts["category"],
        exchange_for=texts["exchange_for"] if fields.reciprocity == EXCHANGE else None,
        price_centimes=price,
        place_name=texts["place_name"],
        street_address=texts["street_address"],
        locality=texts["locality"],
    )


def apply_fields(offer: Offer, fields: OfferFields) -> None:
    """Copy checked fields onto the row (the description rendered from Markdown)."""
    offer.purpose = fields.purpose
    offer.kind = fields.kind
    offer.title = fields.title
    offer.description_source = fields.description
    if fields.description_html is not None:
        offer.description_html = sanitize_html(fields.description_html)
    else:
        offer.description_html = render_markdown(fields.description) if fields.description else ""
    offer.category = fields.category
    offer.quantity = fields.quantity
    offer.unit = fields.unit
    offer.unit_based = fields.unit_based
    offer.available_quantity = fields.available_quantity
    offer.minimum_quantity = fields.minimum_quantity
    offer.reciprocity = fields.reciprocity
    offer.exchange_for = fields.exchange_for
    offer.price_centimes = fields.price_centimes
    offer.place_name = fields.place_name
    offer.street_address = fields.street_address
    offer.locality = fields.locality
    offer.latitude = fields.latitude
    offer.longitude = fields.longitude
    offer.online = fields.online
    offer.valid_until = fields.valid_until
    offer.search_text = offer_words(
        offer.title, offer.category, offer.description_source, offer.description_html,
        offer.place_name, offer.locality,
    )  # fmt: skip


def fields_of(offer: Offer) -> OfferFields:
    """The fields of an existing offer, for its edit form."""
    return OfferFields(
        kind=offer.kind,
        title=offer.title,
        purpose=offer.purpose,
        description=offer.description_source or "",
        category=offer.category,
        quantity=offer.quantity,
        unit=offer.unit,
        unit_based=offer.unit_based,
        available_quantity=offer.available_quantity,
        minimum_quantity=offer.minimum_quantity,
        reciprocity=offer.reciprocity,
        exchange_for=offer.exchange_for,
        price_centimes=offer.price_centimes,
        place_name=offer.place_name,
        street_address=offer.street_address,
        locality=offer.locality,
        latitude=offer.latitude,
        longitude=offer.longitude,
        online=offer.online,
        valid_until=offer.valid_until,
    )
