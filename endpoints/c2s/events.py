"""Events from a client: ``Create(Event)`` and ``Update(Event)`` go through the services of the
web event form (:mod:`commons.events`): the same checks, places, recurrence, capacity and join
modes, the same messages to followers and participants.

The Event is read with the reader we use for Mobilizon's and Gancio's, which drops what it cannot
read; from a client, anything dropped is a 400 that names it. An ``Update`` merges the properties
sent into the event as we serve it (``null`` removes one, §6.3.1) and reads the result again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.services import (
    EventFields,
    create_event,
    edit_event,
    event_document,
    require_organiser,
)
from commons.events.wire import EventShapeError, RemoteEventFields, parse_remote_event
from commons.markdown import html_to_text
from config.errors import DomainError
from endpoints.c2s.errors import ClientError
from endpoints.c2s.objects import merged_properties, read_text
from endpoints.c2s.posts import newest_activity_uri
from instance.runtime import Instance
from storage.models import Actor, Event

PLACEHOLDER_ID = "https://client.invalid/event"


def _exdates(values: list[str]) -> tuple[date, ...]:
    found = []
    for value in values:
        try:
            found.append(date.fromisoformat(value[:10]))
        except ValueError:
            raise ClientError(400, f"exdate {value!r} is not a date") from None
    return tuple(found)


def _read(document: dict[str, Any]) -> RemoteEventFields:
    try:
        parsed = parse_remote_event({**document, "id": PLACEHOLDER_ID})
    except EventShapeError as error:
        raise ClientError(400, f"this Event cannot be read: {error}") from None
    if parsed.dropped:
        raise ClientError(400, f"cannot read the Event's {', '.join(parsed.dropped)}")
    if not isinstance(document.get("name"), str) or not document["name"].strip():
        raise ClientError(400, "an Event needs a name")
    return parsed


def fields_from(document: dict[str, Any], *, keep_description: str | None = None) -> EventFields:
    """The form's fields from an AS2 Event: ``source`` (Markdown) or ``content`` (HTML) is the
    description; ``keep_description`` is the Markdown kept when an update sends neither."""
    parsed = _read(document)
    fields = EventFields(
        title=parsed.title,
        start=parsed.start,
        end=parsed.end,
        timezone=parsed.timezone,
        place_name=parsed.place_name,
        street_address=parsed.street_address,
        postal_code=parsed.postal_code,
        locality=parsed.locality,
        latitude=parsed.latitude,
        longitude=parsed.longitude,
        online_url=parsed.online_url,
        category=parsed.category,
        capacity=parsed.capacity,
        join_mode=parsed.join_mode,
        external_registration_url=parsed.external_registration_url,
        comments_enabled=parsed.comments_enabled,
        rrule=parsed.rrule,
        exdates=_exdates(parsed.exdates),
    )
    if keep_description is not None:
        fields.description = keep_description
        return fields
    text = read_text(document)
    if text.markdown is not None:
        fields.description = text.markdown
    elif text.html:
        fields.description = html_to_text(text.html)
        fields.description_html = text.html
    return fields


async def create_event_from(
    instance: Instance, person: Actor, acting: Actor, obj: dict[str, Any]
) -> str:
    fields = fields_from(obj)
    async with instance.database.transaction() as session:
        try:
            event = await create_event(session, instance.uris, person, acting, fields)
        except DomainError as error:
            raise ClientError.refusing(error) from None
        return await newest_activity_uri(session, acting, "Create", event.uri)


def _merged(current: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    merged = merged_properties(current, sent)
    if "location" in sent and sent["location"] is None:
        merged.pop("isOnline", None)
    return merged


async def update_event(
    instance: Instance, person: Actor, session: AsyncSession, event: Event, obj: dict[str, Any]
) -> str:
    try:
        organiser = await require_organiser(session, person, event)
    except DomainError as error:
        raise ClientError.refusing(error) from None
    current = event_document(event, organiser, with_context=False)
    current.pop("summary", None)
    describes = any(key in obj for key in ("content", "contentMap", "source"))
    if describes:
        current.pop("content", None)
        current.pop("contentMap", None)
    keep = None if describes else (event.description_source or "")
    fields = fields_from(_merged(current, obj), keep_description=keep)
    if keep is not None and not event.description_source and event.description_html:
        fields.description_html = event.description_html
    try:
        await edit_event(session, instance.uris, person, event, fields)
    except DomainError as error:
        raise ClientError.refusing(error) from None
    return await newest_activity_uri(session, organiser, "Update", event.uri)
