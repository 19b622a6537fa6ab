"""The event form: what a person typed, read back into :class:`commons.events.services.EventFields`,
and every refusal as a French (or English) sentence next to the field it concerns.

What was typed is always kept in ``values`` so a refused form comes back filled in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import FormData, UploadFile

from commons.events.services import MAX_CAPACITY, MAX_TITLE, EventFields
from commons.events.wire import CATEGORIES, DEFAULT_TIMEZONE
from config.errors import DomainError
from storage.integers import parse_whole
from storage.models import Actor, Event
from storage.models.events import JOIN_EXTERNAL, JOIN_MODES
from webui import i18n
from webui.error_messages import message as error_message
from webui.form_dates import read_local_moment
from webui.uploads import read_upload

TIMEZONES = ("Europe/Zurich", "Europe/Paris", "Europe/London", "UTC")
TEXT_FIELDS = (
    "organiser", "title", "description", "start", "end", "timezone", "place_name",
    "street_address", "postal_code", "locality", "latitude", "longitude", "online_url",
    "category", "capacity", "join_mode", "external_registration_url", "repeat", "rrule",
    "exdates", "image_alt",
)  # fmt: skip
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})|(\d{1,2})\.(\d{1,2})\.(\d{4})")


def category_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {
        "repair_cafe": _("Repair café"),
        "safari_urbain": _("Urban safari"),
        "debat": _("Debate"),
        "forum": _("Neighbourhood forum"),
        "action": _("Action"),
        "atelier": _("Workshop"),
        "fete": _("Celebration"),
        "autre": _("Other"),
    }


def join_mode_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {
        "free": _("Free: anyone can take part"),
        "approval": _("On approval by the organiser"),
        "external": _("Registration on another website"),
    }


def repeat_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {
        "": _("Does not repeat"),
        "weekly": _("Every week, on the same day"),
        "biweekly": _("Every other week, on the same day"),
        "monthly": _("Every month, on the same weekday (e.g. the first Saturday)"),
        "custom": _("Custom rule (RRULE)"),
    }


ERROR_FIELDS = {
    "missing_title": "title",
    "title_too_long": "title",
    "description_too_long": "description",
    "end_before_start": "end",
    "invalid_timezone": "timezone",
    "missing_place": "place_name",
    "bad_coordinates": "latitude",
    "bad_link": "online_url",
    "invalid_category": "category",
    "invalid_join_mode": "join_mode",
    "missing_registration_link": "external_registration_url",
    "bad_capacity": "capacity",
    "capacity_below_participants": "capacity",
    "invalid_rule": "rrule",
    "unsupported_frequency": "rrule",
    "no_occurrence": "rrule",
    "too_frequent": "rrule",
}


@dataclass
class EventForm:
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    fields: EventFields | None = None
    image: bytes | None = None

    def refuse(self, refusal: DomainError | str, **details: Any) -> None:
        """Show a refusal (a service's error, or a code the form finds itself) by its field."""
        where = refusal.field if isinstance(refusal, DomainError) else None
        if where is None:
            where = ERROR_FIELDS.get(refusal.code if isinstance(refusal, DomainError) else refusal)
        self.errors.setdefault(where or "title", error_message(refusal, **details))


def local_input(moment: datetime | None, timezone: str) -> str:
    """The value of a ``datetime-local`` input."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def blank_values(city: str) -> dict[str, Any]:
    return {"organiser": "", "timezone": DEFAULT_TIMEZONE, "locality": city, "join_mode": "free",
            "category": "autre", "comments_enabled": True, "repeat": ""}  # fmt: skip


def values_of(event: Event, organiser: Actor) -> dict[str, Any]:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    exdates = (event.exdates or {}).get("dates") if isinstance(event.exdates, dict) else None
    return {
        "organiser": organiser.username,
        "title": event.title,
        "description": event.description_source or "",
        "start": local_input(event.start_time, event.timezone),
        "end": local_input(event.end_time, event.timezone),
        "timezone": event.timezone,
        "place_name": text(event.place_name),
        "street_address": text(event.street_address),
        "postal_code": text(event.postal_code),
        "locality": text(event.locality),
        "latitude": text(event.latitude),
        "longitude": text(event.longitude),
        "online_url": text(event.online_url),
        "category": event.category or "autre",
        "capacity": text(event.capacity),
        "join_mode": event.join_mode,
        "external_registration_url": text(event.external_registration_url),
        "comments_enabled": event.comments_enabled,
        "repeat": "custom" if event.rrule else "",
        "rrule": text(event.rrule),
        "exdates": " ".join(exdates or []),
        "image_alt": text(event.image_alt),
    }


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _coordinate(raw: str, limit: float) -> float | None:
    try:
        value = float(raw.replace(",", ".").replace("°", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


def _exdates(raw: str) -> list[date] | None:
    found: list[date] = []
    for token in re.split(r"[\s,;]+", raw.strip()):
        if not token:
            continue
        match = DATE_RE.fullmatch(token)
        if match is None:
            return None
        try:
            if match.group(1):
                found.append(date(int(match[1]), int(match[2]), int(match[3])))
            else:
                found.append(date(int(match[6]), int(match[5]), int(match[4])))
        except ValueError:
            return None
    return found


def _rule(repeat: str, custom: str, start: datetime) -> str | None:
    day = WEEKDAY_CODES[start.weekday()]
    match repeat:
        case "weekly":
            return f"FREQ=WEEKLY;BYDAY={day}"
        case "biweekly":
            return f"FREQ=WEEKLY;INTERVAL=2;BYDAY={day}"
        case "monthly":
            nth = (start.day - 1) // 7 + 1
            return f"FREQ=MONTHLY;BYDAY={nth if nth < 5 else -1}{day}"
        case "custom":
            return custom or None
    return None


def _check_at_once(result: EventForm, start: datetime | None, end: datetime | None) -> None:
    """What the services would refuse one at a time, found together so the page shows every
    problem at once (the services still check everything)."""
    values = result.values
    if not values["title"]:
        result.refuse("missing_title")
    elif len(values["title"]) > MAX_TITLE:
        result.refuse("title_too_long")
    online_url = values["online_url"]
    if online_url and not online_url.startswith(("https://", "http://")):
        result.refuse("bad_link")
    if not (values["place_name"] or values["street_address"] or online_url):
        result.refuse("missing_place")
    if start is not None and end is not None and end <= start:
        result.refuse("end_before_start")
    if values["join_mode"] == JOIN_EXTERNAL and not values["external_registration_url"].startswith(
        ("https://", "http://")
    ):
        result.refuse("missing_registration_link")
    capacity = parse_whole(values["capacity"])
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        result.refuse("bad_capacity")


async def read_event_form(form: FormData) -> EventForm:
    """What was typed, and EventFields when it can be read (the services check the rest)."""
    values: dict[str, Any] = {name: _text(form, name) for name in TEXT_FIELDS}
    values["comments_enabled"] = form.get("comments_enabled") == "1"
    result = EventForm(values)
    errors = result.errors
    try:
        zone = ZoneInfo(values["timezone"] or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
        result.refuse("invalid_timezone")
    start = read_local_moment(values["start"], zone)
    if start is None:
        errors["start"] = error_message("missing_start")
    end = read_local_moment(values["end"], zone) if values["end"] else None
    if values["end"] and end is None:
        errors["end"] = error_message("bad_end")
    latitude = longitude = None
    if values["latitude"] or values["longitude"]:
        latitude = _coordinate(values["latitude"], 90)
        longitude = _coordinate(values["longitude"], 180)
        if latitude is None or longitude is None:
            result.refuse("bad_coordinates")
    capacity = None
    if values["capacity"]:
        capacity = parse_whole(values["capacity"])
        if capacity is None:
            result.refuse("bad_capacity")
    exdates = _exdates(values["exdates"])
    if exdates is None:
        errors["exdates"] = error_message("bad_exdates")
    upload = form.get("image")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await read_upload(upload)
        if data:
            result.image = data
            if not values["image_alt"]:
                errors["image_alt"] = error_message("missing_alt")
    _check_at_once(result, start, end)
    if values["category"] not in CATEGORIES:
        result.refuse("invalid_category")
    if values["join_mode"] not in JOIN_MODES:
        result.refuse("invalid_join_mode")
    if start is None or errors:
        return result
    result.fields = EventFields(
        title=values["title"],
        start=start,
        end=end,
        description=values["description"],
        timezone=str(zone.key),
        place_name=values["place_name"],
        street_address=values["street_address"],
        postal_code=values["postal_code"],
        locality=values["locality"],
        latitude=latitude,
        longitude=longitude,
        online_url=values["online_url"],
        category=values["category"],
        capacity=capacity,
        join_mode=values["join_mode"],
        external_registration_url=values["external_registration_url"],
        comments_enabled=bool(values["comments_enabled"]),
        rrule=_rule(values["repeat"], values["rrule"], start),
        exdates=tuple(exdates or ()),
    )
    return result


def form_options() -> dict[str, Any]:
    return {
        "category_options": list(category_labels().items()),
        "join_mode_options": list(join_mode_labels().items()),
        "repeat_options": list(repeat_labels().items()),
        "timezone_options": [(zone, zone) for zone in TIMEZONES],
    }
