"""Events that other servers send us: kept in our agenda, refreshed or cancelled only by
their organiser's server.

Reading a document (:func:`read_remote_event`) is pure; resolving its organiser may fetch an
actor, so the inbox does both before it opens its transaction, then calls
:func:`keep_remote_event` or :func:`drop_remote_event` inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.date_rsvps import follow_dates
from commons.events.date_wire import is_occurrence_document
from commons.events.dates import refresh_occurrences
from commons.events.wire import (
    EventShapeError,
    RemoteEventFields,
    apply_remote_fields,
    parse_remote_event,
)
from federation.vocab import id_of, same_origin
from storage.models import Actor, Event, utcnow


@dataclass(frozen=True, slots=True)
class RemoteEvent:
    """A remote Event read from its document, with the organiser it will be kept under."""

    fields: RemoteEventFields
    organiser: Actor
    document: dict[str, Any]


def read_remote_event(data: dict[str, Any]) -> RemoteEventFields | str:
    """The fields of a remote Event, or why it is not kept (one date of a series is not kept
    apart: the series is, and its dates are expanded from its rule)."""
    if is_occurrence_document(data):
        return f"a date of the series {id_of(data.get('superEvent'))}, not kept apart"
    try:
        return parse_remote_event(data)
    except EventShapeError as error:
        return f"unusable event: {error.code}"


async def keep_remote_event(session: AsyncSession, remote: RemoteEvent) -> Event | str:
    """Insert or refresh the event; a refusal reason when it is not theirs or was deleted."""
    fields, organiser = remote.fields, remote.organiser
    event = await session.scalar(select(Event).where(Event.uri == fields.uri))
    if event is not None and (event.is_local or not same_origin(event.uri, organiser.uri)):
        return "it is not theirs"
    if event is None:
        event = Event(
            uri=fields.uri,
            actor_id=organiser.id,
            is_local=False,
            published=fields.published or utcnow(),
        )
        session.add(event)
    elif event.deleted_at is not None:
        return "it was deleted"
    event.actor_id = organiser.id
    apply_remote_fields(event, fields)
    event.document = dict(remote.document)
    await refresh_occurrences(session, event)
    await follow_dates(session, event)
    return event


async def drop_remote_event(session: AsyncSession, event: Event, sender: Actor) -> bool:
    """A Delete from the event's own server; False (refused) for ours or another server's."""
    if event.is_local or not same_origin(event.uri, sender.uri):
        return False
    event.deleted_at = event.deleted_at or utcnow()
    event.document = None
    await refresh_occurrences(session, event)
    return True
