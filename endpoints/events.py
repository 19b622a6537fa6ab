"""Events on the wire and for people: /events/{uuid} by content negotiation, and each date of
a series at /events/{uuid}/occurrences/{day}.

Servers get the AS2 ``Event`` (a ``Tombstone`` with 410 once deleted), for a date the Event of
that date (see :mod:`commons.events.date_wire`); people get the page. Mastodon fetches an
announced event's id with a signed GET, so every event id answers.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from commons.events.date_rsvps import count_taking_part
from commons.events.date_wire import build_occurrence
from commons.events.dates import date_on
from commons.events.services import event_document
from commons.events.wire import build_event_tombstone
from endpoints.actors import activity_response
from endpoints.faces import html_faces, wants_activitypub
from instance.runtime import instance_of
from storage.models import Actor, Event


async def _local_event(session: AsyncSession, request: Request) -> tuple[Event, Actor]:
    uri = f"{instance_of(request).uris.base}/events/{request.path_params['event_uuid']}"
    event = await session.scalar(select(Event).where(Event.uri == uri, Event.is_local.is_(True)))
    organiser = await session.get(Actor, event.actor_id) if event is not None else None
    if event is None or organiser is None:
        raise HTTPException(404)
    return event, organiser


async def event_resource(request: Request) -> Response:
    if not wants_activitypub(request):
        return await html_faces(request).event(request)
    async with instance_of(request).database.session() as session:
        event, organiser = await _local_event(session, request)
    if event.deleted_at is not None:
        return activity_response(build_event_tombstone(event), 410)
    return activity_response(event_document(event, organiser))


async def occurrence_resource(request: Request) -> Response:
    if not wants_activitypub(request):
        return await html_faces(request).date(request)
    try:
        day = date.fromisoformat(request.path_params["day"])
    except ValueError:
        raise HTTPException(404) from None
    async with instance_of(request).database.session() as session:
        event, organiser = await _local_event(session, request)
        if event.deleted_at is not None:
            return activity_response(build_event_tombstone(event), 410)
        found = await date_on(session, event, day) if event.rrule else None
        if found is None:
            raise HTTPException(404)
        count = await count_taking_part(session, event, found.start)
    return activity_response(build_occurrence(event, organiser, found.start, found.end, count))


routes: list[BaseRoute] = [
    Route("/events/{event_uuid:uuid}", event_resource, methods=["GET"], name="event"),
    Route(
        "/events/{event_uuid:uuid}/occurrences/{day}",
        occurrence_resource,
        methods=["GET"],
        name="event_occurrence",
    ),
]
