"""What a person types to describe an event: the limits, the checks, and the copy onto the row.

Every refusal is an :class:`config.errors.Invalid` naming the form field it concerns (a
:class:`commons.events.recurrence.RecurrenceError` for the repetition rule).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from commons.events.recurrence import validate_rule
from commons.events.wire import CATEGORIES, DEFAULT_TIMEZONE, exdates_of
from commons.markdown import render_markdown, sanitize_html
from config.errors import ErrorCode, Invalid
from storage.models import Event
from storage.models.events import JOIN_EXTERNAL, JOIN_MODES

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_CAPACITY = 100_000
PLACE_LIMITS = {"place_name": 255, "street_address": 255, "postal_code": 32, "locality": 255}


@dataclass
class EventFields:
    """What a person types to describe an event (times are aware datetimes)."""

    title: str
    start: datetime
    end: datetime | None = None
    description: str = ""
    timezone: str = DEFAULT_TIMEZONE
    place_name: str | None = None
    street_address: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    online_url: str | None = None
    category: str | None = None
    capacity: int | None = None
    join_mode: str = "free"
    external_registration_url: str | None = None
    comments_enabled: bool = True
    rrule: str | None = None
    exdates: Sequence[date] = field(default_factory=tuple)
    description_html: str | None = None
    """Sanitized HTML a client sent (C2S); ``description`` is then its plain text."""


def _clean(value: str | None, limit: int) -> str | None:
    text = (value or "").strip()
    return text[:limit] if text else None


def check_fields(fields: EventFields, *, participants: int = 0) -> EventFields:
    """The fields, trimmed and checked; :class:`Invalid` (a RecurrenceError for the rule) names
    the field it concerns."""
    title = fields.title.strip()
    if not title:
        raise Invalid(ErrorCode.MISSING_TITLE, "title")
    if len(title) > MAX_TITLE:
        raise Invalid(ErrorCode.TITLE_TOO_LONG, "title")
    if len(fields.description) > MAX_DESCRIPTION:
        raise Invalid(ErrorCode.DESCRIPTION_TOO_LONG, "description")
    try:
        ZoneInfo(fields.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(ErrorCode.INVALID_TIMEZONE, "timezone") from None
    if fields.start.tzinfo is None or (fields.end is not None and fields.end.tzinfo is None):
        raise Invalid(ErrorCode.INVALID_TIMEZONE, "timezone")
    if fields.end is not None and fields.end <= fields.start:
        raise Invalid(ErrorCode.END_BEFORE_START, "end")
    places = {name: _clean(getattr(fields, name), limit) for name, limit in PLACE_LIMITS.items()}
    online_url = _clean(fields.online_url, 2048)
    if online_url is not None and not online_url.startswith(("https://", "http://")):
        raise Invalid(ErrorCode.BAD_LINK, "online_url")
    if not (places["place_name"] or places["street_address"] or online_url):
        raise Invalid(ErrorCode.MISSING_PLACE, "place_name")
    latitude, longitude = fields.latitude, fields.longitude
    if (latitude is None) != (longitude is None):
        raise Invalid(ErrorCode.BAD_COORDINATES, "latitude")
    if latitude is not None and longitude is not None and not (
        math.isfinite(latitude) and math.isfinite(longitude)
        and -90 <= latitude <= 90 and -180 <= longitude <= 180
    ):  # fmt: skip
        raise Invalid(ErrorCode.BAD_COORDINATES, "latitude")
    if fields.category is not None and fields.category not in CATEGORIES:
        raise Invalid(ErrorCode.INVALID_CATEGORY, "category")
    if fields.join_mode not in JOIN_MODES:
        raise Invalid(ErrorCode.INVALID_JOIN_MODE, "join_mode")
    registration = _clean(fields.external_registration_url, 2048)
    if fields.join_mode == JOIN_EXTERNAL and (
        registration is None or not registration.startswith(("https://", "http://"))
    ):
        raise Invalid(ErrorCode.MISSING_REGISTRATION_LINK, "external_registration_url")
    if fields.capacity is not None:
        if fields.capacity < 1 or fields.capacity > MAX_CAPACITY:
            raise Invalid(ErrorCode.BAD_CAPACITY, "capacity")
        if fields.capacity < participants:
            raise Invalid(ErrorCode.CAPACITY_BELOW_PARTICIPANTS, "capacity", count=participants)
    rule = validate_rule(fields.rrule, fields.start, fields.timezone) if fields.rrule else None
    return replace(
        fields,
        title=title,
        online_url=online_url,
        external_registration_url=registration if fields.join_mode == JOIN_EXTERNAL else None,
        rrule=rule,
        exdates=tuple(sorted(set(fields.exdates))) if rule else (),
        place_name=places["place_name"],
        street_address=places["street_address"],
        postal_code=places["postal_code"],
        locality=places["locality"],
    )


def apply_fields(event: Event, fields: EventFields) -> None:
    """Copy checked fields onto the row (the description rendered, the country set)."""
    event.title = fields.title
    event.description_source = fields.description
    if fields.description_html is not None:
        event.description_html = sanitize_html(fields.description_html)
    else:
        event.description_html = render_markdown(fields.description) if fields.description else ""
    event.start_time = fields.start
    event.end_time = fields.end
    event.timezone = fields.timezone
    event.place_name = fields.place_name
    event.street_address = fields.street_address
    event.postal_code = fields.postal_code
    event.locality = fields.locality
    event.country = "CH" if (fields.place_name or fields.street_address) else None
    event.latitude = fields.latitude
    event.longitude = fields.longitude
    event.online_url = fields.online_url
    event.category = fields.category
    event.capacity = fields.capacity
    event.join_mode = fields.join_mode
    event.external_registration_url = fields.external_registration_url
    event.comments_enabled = fields.comments_enabled
    event.rrule = fields.rrule
    event.exdates = {"dates": [d.isoformat() for d in fields.exdates]} if fields.exdates else None


def fields_of(event: Event) -> EventFields:
    """The fields of an existing event, for an edit form or a postponement."""
    return EventFields(
        title=event.title,
        start=event.start_time,
        end=event.end_time,
        description=event.description_source or "",
        timezone=event.timezone,
        place_name=event.place_name,
        street_address=event.street_address,
        postal_code=event.postal_code,
        locality=event.locality,
        latitude=event.latitude,
        longitude=event.longitude,
        online_url=event.online_url,
        category=event.category,
        capacity=event.capacity,
        join_mode=event.join_mode,
        external_registration_url=event.external_registration_url,
        comments_enabled=event.comments_enabled,
        rrule=event.rrule,
        exdates=tuple(exdates_of(event)),
    )
