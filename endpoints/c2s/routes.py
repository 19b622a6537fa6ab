"""The HTTP side of the client-to-server API: ``POST /@name/outbox`` and ``GET /@name/inbox``,
both with a bearer token; the answer to a POST is 201 with the new activity's id in
``Location``, or a 4xx with ``{"error": reason}``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from actors.collections import InvalidPage, load_collection, parse_page
from endpoints.actors import activity_response
from endpoints.c2s.actions import perform
from endpoints.c2s.auth import outbox_client
from endpoints.c2s.errors import ClientError
from endpoints.c2s.objects import as_activity
from endpoints.c2s.reading import inbox_source
from federation import bodies
from federation.vocab import is_activitypub_media_type
from instance.runtime import Instance, instance_of

LENIENT_MEDIA_TYPES = frozenset({"application/json"})


def check_content_type(header: str | None) -> None:
    """ActivityPub's two media types, and plain ``application/json`` as Mastodon accepts it."""
    media = (header or "").split(";", 1)[0].strip().lower()
    if not (is_activitypub_media_type(header) or media in LENIENT_MEDIA_TYPES):
        raise ClientError(
            415,
            "send the activity as application/activity+json (or application/ld+json with the "
            'ActivityStreams profile, or application/json); got "' + (header or "nothing") + '"',
        )


async def read_document(request: Request, instance: Instance) -> dict[str, Any]:
    check_content_type(request.headers.get("content-type"))
    try:
        body = await bodies.read_capped_body(request, instance.settings.federation.max_body_bytes)
        document = bodies.parse_json_body(body)
    except bodies.BodyTooLarge as error:
        raise ClientError(413, str(error)) from None
    except bodies.BodyNotJSON as error:
        raise ClientError(400, str(error)) from None
    if not isinstance(document, dict):
        raise ClientError(400, "expected a JSON object with a type")
    return document


async def post_to_outbox(request: Request) -> Response:
    instance = instance_of(request)
    try:
        person, acting = await outbox_client(request, instance)
        kind, activity = as_activity(await read_document(request, instance))
        activity_uri = await perform(instance, person, acting, kind, activity)
    except ClientError as error:
        return JSONResponse({"error": error.reason}, status_code=error.status)
    return Response(status_code=201, headers={"Location": activity_uri})


async def read_inbox(request: Request) -> Response:
    instance = instance_of(request)
    try:
        _person, owner = await outbox_client(request, instance)
        page = parse_page(request.query_params.get("page"))
    except ClientError as error:
        return JSONResponse({"error": error.reason}, status_code=error.status)
    except InvalidPage:
        return JSONResponse({"error": "page is a whole number from 1"}, status_code=400)
    uri = owner.inbox_uri or f"{owner.uri}/inbox"
    async with instance.database.session() as session:
        document = await load_collection(session, uri, inbox_source(owner), page)
    return activity_response(document)


routes: list[BaseRoute] = [
    Route("/@{username}/outbox", post_to_outbox, methods=["POST"]),
    Route("/@{username}/inbox", read_inbox, methods=["GET"]),
]
