"""Events from other servers (Mobilizon's, Gancio's and our own), read leniently: an unusable
field is left out, never the whole event; :class:`EventShapeError` when nothing usable is left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from commons.events.recurrence import RecurrenceError, validate_rule
from commons.events.vocabulary import (
    CATEGORIES,
    DEFAULT_TIMEZONE,
    FROM_WIRE_JOIN_MODES,
    MOBILIZON_CATEGORIES,
)
from commons.markdown import sanitize_html
from config.errors import ErrorCode, Invalid
from federation.parsing import is_kept_moment
from federation.vocab import as_list, first_str, id_of
from storage.models import Event
from storage.models.events import (
    CANCELLED,
    CONFIRMED,
    EVENT_STATUSES,
    JOIN_EXTERNAL,
    JOIN_FREE,
    TENTATIVE,
)

MAX_TITLE = 500


class EventShapeError(Invalid):
    """A remote event we cannot keep; ``code`` names the reason (logged by the inbox)."""


@dataclass
class RemoteEventFields:
    """A remote Event, read leniently: an unusable field is left out, never the whole event."""

    uri: str
    organiser_uri: str | None
    title: str
    description_html: str
    start: datetime
    end: datetime | None
    timezone: str
    url: str | None = None
    place_name: str | None = None
    street_address: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    online_url: str | None = None
    category: str | None = None
    image_url: str | None = None
    image_alt: str | None = None
    capacity: int | None = None
    participant_count: int = 0
    join_mode: str = JOIN_FREE
    external_registration_url: str | None = None
    comments_enabled: bool = True
    status: str = CONFIRMED
    rrule: str | None = None
    exdates: list[str] = field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    dropped: list[str] = field(default_factory=list)


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _moment(value: object, zone: ZoneInfo | None) -> datetime | None:
    """An xsd:dateTime; a value without offset is read in the event's own time zone."""
    text = first_str(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or ZoneInfo(DEFAULT_TIMEZONE))
    return moment.astimezone(UTC) if is_kept_moment(moment) else None


def _zone_for_offset(value: object, start: datetime) -> str:
    """Gancio sends no time zone, only an offset: Zurich if it matches, else a fixed offset."""
    text = first_str(value) or ""
    try:
        offset = datetime.fromisoformat(text.strip()).utcoffset()
    except ValueError:
        offset = None
    if offset is None or offset == start.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).utcoffset():
        return DEFAULT_TIMEZONE
    if offset == timedelta(0):
        return "UTC"
    hours, remainder = divmod(offset, timedelta(hours=1))
    if remainder or not -12 <= hours <= 14:
        return "UTC"
    return f"Etc/GMT{-hours:+d}"


def _text(value: object, limit: int) -> str | None:
    text = first_str(value)
    if text is None:
        return None
    text = " ".join(text.split())
    return text[:limit] or None


def _http_url(value: object) -> str | None:
    found = id_of(value)
    if found and found.startswith(("https://", "http://")) and len(found) <= 2048:
        return found
    return None


def _number(value: object, limit: float) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "."))
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > limit:
        return None
    return float(value)


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _read_location(fields: RemoteEventFields, value: object) -> None:
    candidates = [item for item in as_list(value) if isinstance(item, dict | str)]
    if value is not None and not candidates:
        fields.dropped.append("location")
        return
    for place in candidates:
        if isinstance(place, str):
            fields.place_name = _text(place, 255)
            return
        kinds = as_list(place.get("type"))
        if "VirtualLocation" in kinds:
            fields.online_url = _http_url(place.get("url"))
            continue
        fields.place_name = _text(place.get("name"), 255)
        address = place.get("address")
        if isinstance(address, str):
            fields.street_address = _text(address, 255)
        elif isinstance(address, dict):
            fields.street_address = _text(address.get("streetAddress"), 255)
            fields.postal_code = _text(address.get("postalCode"), 32)
            fields.locality = _text(address.get("addressLocality"), 255)
            fields.country = _text(address.get("addressCountry"), 64)
        latitude = _number(place.get("latitude"), 90)
        longitude = _number(place.get("longitude"), 180)
        if latitude is not None and longitude is not None:
            fields.latitude, fields.longitude = latitude, longitude
        elif place.get("latitude") is not None or place.get("longitude") is not None:
            fields.dropped.append("coordinates")
        return


def _read_image(fields: RemoteEventFields, data: dict[str, Any]) -> None:
    candidates = [*as_list(data.get("image")), *as_list(data.get("attachment"))]
    for item in candidates:
        if not isinstance(item, dict):
            continue
        media_type = item.get("mediaType")
        kinds = as_list(item.get("type"))
        is_image = "Image" in kinds or (
            isinstance(media_type, str) and media_type.startswith("image/")
        )
        url = _http_url(item.get("url"))
        if is_image and url:
            fields.image_url = url
            fields.image_alt = _text(item.get("name"), 1500)
            return


def _read_category(value: object, slug: object) -> str | None:
    if isinstance(slug, str) and slug in CATEGORIES:
        return slug
    text = first_str(value)
    if not text:
        return None
    for ours, theirs in MOBILIZON_CATEGORIES.items():
        if text.upper() == theirs:
            return ours
    return "autre"


def parse_remote_event(doc: object) -> RemoteEventFields:
    """Mobilizon's, Gancio's (and our own) Events; ``EventShapeError`` when unusable.

    Refused: not an Event, no id, no readable ``startTime``. Everything else is optional and a
    bad value (a location that is not a place, coordinates out of range, a negative capacity, an
    impossible rule) is dropped, with its name in ``dropped``.
    """
    if not isinstance(doc, dict) or "Event" not in as_list(doc.get("type")):
        raise EventShapeError(ErrorCode.NOT_AN_EVENT)
    uri = doc.get("id")
    if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
        raise EventShapeError(ErrorCode.MISSING_ID)
    given_zone = _zone(doc.get("timezone"))
    start = _moment(doc.get("startTime"), given_zone)
    if start is None:
        raise EventShapeError(ErrorCode.MISSING_START, "start")
    timezone = str(given_zone.key) if given_zone else _zone_for_offset(doc.get("startTime"), start)
    end = _moment(doc.get("endTime"), given_zone)
    dropped: list[str] = []
    if end is not None and end <= start:
        end, dropped = None, ["endTime"]
    content = first_str(doc.get("content"))
    if content is None:
        content_map = doc.get("contentMap")
        if isinstance(content_map, dict):
            content = next(
                (v for k in ("fr", "en", *content_map) if isinstance(v := content_map.get(k), str)),
                None,
            )
    fields = RemoteEventFields(
        uri=uri,
        organiser_uri=id_of(doc.get("attributedTo")) or id_of(doc.get("actor")),
        title=_text(doc.get("name"), MAX_TITLE) or "Événement",
        description_html=sanitize_html(content or ""),
        start=start,
        end=end,
        timezone=timezone,
        url=_http_url(doc.get("url")) or uri,
        dropped=dropped,
    )
    _read_location(fields, doc.get("location"))
    _read_image(fields, doc)
    fields.category = _read_category(doc.get("category"), doc.get("categorySlug"))
    capacity = _count(doc.get("maximumAttendeeCapacity"))
    fields.capacity = capacity or None  # Mobilizon's 0 means "no limit"
    fields.participant_count = _count(doc.get("participantCount")) or 0
    join_mode = first_str(doc.get("joinMode"))
    fields.join_mode = FROM_WIRE_JOIN_MODES.get((join_mode or "free").lower(), JOIN_FREE)
    fields.external_registration_url = _http_url(doc.get("externalParticipationUrl"))
    if fields.join_mode == JOIN_EXTERNAL and fields.external_registration_url is None:
        fields.join_mode = JOIN_FREE
    comments = doc.get("commentsEnabled")
    fields.comments_enabled = (
        comments if isinstance(comments, bool) else doc.get("repliesModerationOption") != "closed"
    )
    status = first_str(doc.get("eventStatus")) or first_str(doc.get("ical:status")) or CONFIRMED
    fields.status = status.lower() if status.lower() in EVENT_STATUSES else CONFIRMED
    if fields.status not in (CONFIRMED, TENTATIVE, CANCELLED):
        fields.status = CONFIRMED
    rule = first_str(doc.get("rrule"))
    if rule:
        try:
            fields.rrule = validate_rule(rule, start, timezone)
        except RecurrenceError:
            fields.dropped.append("rrule")
        fields.exdates = [d for d in as_list(doc.get("exdate")) if isinstance(d, str)][:200]
    fields.published = _moment(doc.get("published"), None)
    fields.updated = _moment(doc.get("updated"), None)
    return fields


def apply_remote_fields(event: Event, fields: RemoteEventFields) -> None:
    """Copy a parsed remote event onto its row (a refresh replaces every field)."""
    event.title = fields.title
    event.url = fields.url
    event.description_source = None
    event.description_html = fields.description_html
    event.start_time = fields.start
    event.end_time = fields.end
    event.timezone = fields.timezone
    event.place_name = fields.place_name
    event.street_address = fields.street_address
    event.postal_code = fields.postal_code
    event.locality = fields.locality
    event.country = fields.country
    event.latitude = fields.latitude
    event.longitude = fields.longitude
    event.online_url = fields.online_url
    event.category = fields.category
    event.image_url = fields.image_url
    event.image_alt = fields.image_alt
    event.capacity = fields.capacity
    event.participant_count = fields.participant_count
    event.join_mode = fields.join_mode
    event.external_registration_url = fields.external_registration_url
    event.comments_enabled = fields.comments_enabled
    event.status = fields.status
    event.rrule = fields.rrule
    event.exdates = {"dates": fields.exdates} if fields.exdates else None
    if fields.updated is not None:
        event.updated = fields.updated
