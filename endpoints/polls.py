"""Polls on the wire and for people: /polls/{uuid} by content negotiation.

Servers get the ``Question`` (see :mod:`commons.polls.wire`); people get the page.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from commons.polls.queries import answers_of
from commons.polls.wire import build_poll
from endpoints.actors import activity_response
from endpoints.faces import html_faces, wants_activitypub
from instance.runtime import instance_of
from storage.models import Actor, Poll


async def poll_resource(request: Request) -> Response:
    if not wants_activitypub(request):
        page: Response = await html_faces(request).poll(request)
        return page
    instance = instance_of(request)
    uri = f"{instance.uris.base}/polls/{request.path_params['poll_uuid']}"
    async with instance.database.session() as session:
        poll = await session.scalar(select(Poll).where(Poll.uri == uri, Poll.is_local.is_(True)))
        author = await session.get(Actor, poll.actor_id) if poll is not None else None
        options = await answers_of(session, poll) if poll is not None else []
    if poll is None or author is None or poll.deleted_at is not None:
        raise HTTPException(404)
    return activity_response(build_poll(poll, options, author))


routes: list[BaseRoute] = [
    Route("/polls/{poll_uuid:uuid}", poll_resource, methods=["GET"], name="poll"),
]
