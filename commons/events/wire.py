"""The AS2 shape of events: what we emit (``build_event``); what we accept is read in
:mod:`commons.events.remote` (``parse_remote_event``, importable from here as well).

Mastodon shows an Event as ``name`` + ``summary`` + a link and never reads ``startTime`` or
``location``, so the ``summary`` carries, in French, everything a person needs to come: date and
time in Europe/Zurich, the place, how to take part, and for a series the rule in words and the
next dates. Mobilizon and Gancio read the structured terms (Mobilizon's names and FEP-8a8e's);
recurrence, absent from both, travels as our ``rrule`` extension.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from commons.events.recurrence import Occurrence
from commons.events.remote import EventShapeError as EventShapeError
from commons.events.remote import RemoteEventFields as RemoteEventFields
from commons.events.remote import apply_remote_fields as apply_remote_fields
from commons.events.remote import parse_remote_event as parse_remote_event
from commons.events.vocabulary import CATEGORIES as CATEGORIES
from commons.events.vocabulary import DEFAULT_TIMEZONE as DEFAULT_TIMEZONE
from commons.events.vocabulary import MOBILIZON_CATEGORIES, WIRE_JOIN_MODES
from commons.events.words import build_summary, place_line
from federation.vocab import PUBLIC, build_event_context
from storage.models import Actor, Event
from storage.models.events import JOIN_EXTERNAL

# What we emit


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def exdate_list(event: Event) -> list[str]:
    found = (event.exdates or {}).get("dates") if isinstance(event.exdates, dict) else None
    return [d for d in (found or []) if isinstance(d, str)]


def exdates_of(event: Event) -> list[date]:
    days: list[date] = []
    for text in exdate_list(event):
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            continue
    return days


def build_location(event: Event) -> dict[str, Any] | None:
    if event.place_name or event.street_address or event.locality:
        place: dict[str, Any] = {"type": "Place", "name": event.place_name or place_line(event)}
        address = {
            "type": "PostalAddress",
            "streetAddress": event.street_address,
            "postalCode": event.postal_code,
            "addressLocality": event.locality,
            "addressCountry": event.country or "CH",
        }
        place["address"] = {k: v for k, v in address.items() if v}
        if event.latitude is not None and event.longitude is not None:
            place["latitude"] = event.latitude
            place["longitude"] = event.longitude
        return place
    if event.online_url:
        return {"type": "VirtualLocation", "url": event.online_url}
    return None


def build_event(
    event: Event,
    organiser: Actor,
    *,
    upcoming: Sequence[Occurrence] = (),
    with_context: bool = True,
) -> dict[str, Any]:
    """Our Event as Mastodon, Mobilizon and Gancio read it; ``upcoming`` feeds the summary."""
    status = event.status.upper()
    document: dict[str, Any] = {
        "id": event.uri,
        "type": "Event",
        "name": event.title,
        "summary": build_summary(event, upcoming),
        "content": event.description_html,
        "contentMap": {"fr": event.description_html},
        "mediaType": "text/html",
        "url": event.url or event.uri,
        "attributedTo": organiser.uri,
        "to": [PUBLIC],
        "cc": [organiser.followers_uri] if organiser.followers_uri else [],
        "published": iso_utc(event.published),
        "startTime": iso_utc(event.start_time),
        "timezone": event.timezone,
        "joinMode": WIRE_JOIN_MODES.get(event.join_mode, "free"),
        "participantCount": event.participant_count,
        "eventStatus": status,
        "ical:status": status,
        "commentsEnabled": event.comments_enabled,
        "repliesModerationOption": "allow_all" if event.comments_enabled else "closed",
        "isOnline": bool(event.online_url) and not event.place_name,
        "inLanguage": "fr",
    }
    if with_context:
        document = {"@context": build_event_context(), **document}
    if organiser.is_group:
        document["audience"] = organiser.uri
    if event.end_time is not None:
        document["endTime"] = iso_utc(event.end_time)
    if event.updated is not None:
        document["updated"] = iso_utc(event.updated)
    location = build_location(event)
    if location is not None:
        document["location"] = location
    if event.capacity is not None:
        document["maximumAttendeeCapacity"] = event.capacity
        document["remainingAttendeeCapacity"] = max(event.capacity - event.participant_count, 0)
    if event.join_mode == JOIN_EXTERNAL and event.external_registration_url:
        document["externalParticipationUrl"] = event.external_registration_url
    if event.category:
        document["category"] = MOBILIZON_CATEGORIES.get(event.category, "MEETING")
        document["categorySlug"] = event.category
    if event.image_url:
        alt = event.image_alt or ""
        document["image"] = {"type": "Image", "url": event.image_url, "name": alt}
        document["attachment"] = [
            {"type": "Document", "mediaType": _image_type(event.image_url), "url": event.image_url,
             "name": alt}
        ]  # fmt: skip
    if event.rrule:
        document["rrule"] = event.rrule
        if exdate_list(event):
            document["exdate"] = exdate_list(event)
    return document


def _image_type(url: str) -> str:
    extension = url.rsplit(".", 1)[-1].lower()
    return {"png": "image/png", "webp": "image/webp", "gif": "image/gif"}.get(
        extension, "image/jpeg"
    )


def build_event_tombstone(event: Event) -> dict[str, Any]:
    return {
        "@context": build_event_context(),
        "id": event.uri,
        "type": "Tombstone",
        "formerType": "Event",
        "deleted": iso_utc(event.deleted_at or event.published),
    }
