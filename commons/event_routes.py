"""Events on the wire and for people: /events/{uuid} by content negotiation.

Servers get the AS2 ``Event`` (a ``Tombstone`` with 410 once deleted); people get the event
page. Mastodon fetches an announced event's id with a signed GET, so every event id answers.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from actors.routes import activity_response, wants_activitypub
from commons.event_shapes import build_event_tombstone
from commons.events import event_document
from quartiers.instance import instance_of
from storage.models import Actor, Event
from webui.pages.events import event_page, occurrence_page


async def event_resource(request: Request) -> Response:
    if not wants_activitypub(request):
        return await event_page(request)
    instance = instance_of(request)
    uri = f"{instance.uris.base}/events/{request.path_params['event_uuid']}"
    async with instance.database.session() as session:
        event = await session.scalar(
            select(Event).where(Event.uri == uri, Event.is_local.is_(True))
        )
        organiser = await session.get(Actor, event.actor_id) if event is not None else None
    if event is None or organiser is None:
        raise HTTPException(404)
    if event.deleted_at is not None:
        return activity_response(build_event_tombstone(event), 410)
    return activity_response(event_document(event, organiser))


routes: list[BaseRoute] = [
    Route("/events/{event_uuid:uuid}", event_resource, methods=["GET"], name="event"),
    Route(
        "/events/{event_uuid:uuid}/occurrences/{day}",
        occurrence_page,
        methods=["GET"],
        name="event_occurrence",
    ),
    Route(
        "/events/remote/{event_id:int}/occurrences/{day}",
        occurrence_page,
        methods=["GET"],
        name="remote_event_occurrence",
    ),
]
