"""Discovery and actors on the wire: WebFinger, host-meta, NodeInfo, actor documents, collections.

Actor URLs serve ActivityPub JSON to servers and a profile page to people (content
negotiation on `Accept`, the page itself from ``webui.pages.profiles``), so the id a fediverse
user sees is also the page to open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from actors.collections import (
    CollectionSource,
    InvalidPage,
    followers_source,
    following_source,
    load_collection,
    members_source,
    moderators_source,
    parse_page,
    upcoming_events_source,
)
from actors.documents import build_actor, build_actor_tombstone
from actors.nodeinfo_documents import build_local_nodeinfo, count_usage
from actors.webfinger_documents import (
    MalformedResource,
    build_actor_webfinger,
    find_resource_actor,
    read_resource,
    resource_parameter,
)
from commons.events.services import event_document
from endpoints.faces import html_faces, wants_activitypub
from endpoints.outbox import load_outbox
from endpoints.quartier_outbox import InvalidCursor, load_quartier_outbox, parse_cursor
from federation.nodeinfo import (
    SUPPORTED_VERSIONS,
    NodeInfoVersion,
    build_nodeinfo_links,
    nodeinfo_rel,
)
from federation.vocab import ACTIVITY_JSON
from federation.webfinger import build_host_meta_json, build_host_meta_xrd
from instance.runtime import instance_of
from storage.models import Actor, utcnow
from storage.models.actors import APPLICATION

CORS = {"Access-Control-Allow-Origin": "*"}
JRD_JSON = "application/jrd+json"
XRD_XML = "application/xrd+xml"
ACTOR_COLLECTIONS = ("followers", "following", "outbox")
GROUP_COLLECTIONS = ("members", "moderators", "featured", "events")


class ActivityJSONResponse(JSONResponse):
    media_type = ACTIVITY_JSON


def activity_response(document: dict[str, Any], status_code: int = 200) -> Response:
    return ActivityJSONResponse(document, status_code=status_code, headers={"Vary": "Accept"})


# Discovery


async def webfinger(request: Request) -> Response:
    instance = instance_of(request)
    try:
        given = resource_parameter(request.query_params.getlist("resource"))
        resource = read_resource(given, instance.settings)
    except MalformedResource as error:
        return JSONResponse({"error": str(error)}, status_code=400, headers=CORS)
    actor = None
    if resource is not None:
        async with instance.database.session() as session:
            actor = await find_resource_actor(session, resource)
    if resource is None or actor is None:
        return JSONResponse({"error": "no such account here"}, status_code=404, headers=CORS)
    if actor.is_gone:
        return JSONResponse({"error": "this account is gone"}, status_code=410, headers=CORS)
    document = build_actor_webfinger(actor, resource.subject_host)
    return JSONResponse(document, media_type=JRD_JSON, headers=CORS)


async def host_meta(request: Request) -> Response:
    base_url = instance_of(request).settings.base_url
    return Response(build_host_meta_xrd(base_url), media_type=XRD_XML, headers=CORS)


async def host_meta_json(request: Request) -> Response:
    base_url = instance_of(request).settings.base_url
    return JSONResponse(build_host_meta_json(base_url), headers=CORS)


async def nodeinfo_links(request: Request) -> Response:
    base_url = instance_of(request).settings.base_url
    return JSONResponse(build_nodeinfo_links(base_url), headers=CORS)


def _nodeinfo_version(requested: str) -> NodeInfoVersion:
    for version in SUPPORTED_VERSIONS:
        if version == requested:
            return version
    raise HTTPException(404)


async def nodeinfo(request: Request) -> Response:
    version = _nodeinfo_version(request.path_params["version"])
    instance = instance_of(request)
    async with instance.database.session() as session:
        usage = await count_usage(session, utcnow())
    return JSONResponse(
        build_local_nodeinfo(version, instance.settings, usage),
        media_type=f'application/json; profile="{nodeinfo_rel(version)}#"',
        headers=CORS,
    )


# Actors


def requested_actor_uri(request: Request) -> str:
    """`/@name` and `/actor` (the instance actor) are the only actor URIs we mint."""
    uris = instance_of(request).uris
    username: str | None = request.path_params.get("username")
    return uris.instance_actor() if username is None else uris.actor(username.lower())


async def find_served_actor(session: AsyncSession, request: Request) -> Actor:
    actor = await session.scalar(
        select(Actor).where(Actor.uri == requested_actor_uri(request), Actor.is_local.is_(True))
    )
    if actor is None:
        raise HTTPException(404)
    return actor


async def actor_document(request: Request) -> Response:
    instance = instance_of(request)
    as_activitypub = wants_activitypub(request)
    async with instance.database.session() as session:
        actor = await find_served_actor(session, request)
        if as_activitypub:
            if actor.is_gone:
                return activity_response(build_actor_tombstone(actor), 410)
            return activity_response(build_actor(actor, instance.settings))
        return await html_faces(request).actor(request, session, actor)


# Collections


def _collection_source(actor: Actor, name: str) -> tuple[str, CollectionSource | None]:
    """The URI and the query of one of `actor`'s collections (None: empty for now)."""
    match name:
        case "followers":
            return actor.followers_uri or f"{actor.uri}/followers", followers_source(actor)
        case "following":
            return actor.following_uri or f"{actor.uri}/following", following_source(actor)
        case "members":
            return f"{actor.uri}/members", members_source(actor)
        case "moderators":
            return f"{actor.uri}/moderators", moderators_source(actor)
        case "events":
            return f"{actor.uri}/events", upcoming_events_source(
                actor, utcnow(), lambda event: event_document(event, actor, with_context=False)
            )
        case "featured":
            return f"{actor.uri}/{name}", None
    raise HTTPException(404)


def collection_endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def collection(request: Request) -> Response:
        try:
            page = parse_page(request.query_params.get("page"))
            before = parse_cursor(request.query_params.get("before"))
        except InvalidPage:
            raise HTTPException(400, "page must be a whole number from 1") from None
        except InvalidCursor:
            raise HTTPException(400, "before must be an activity id from 1") from None
        async with instance_of(request).database.session() as session:
            actor = await find_served_actor(session, request)
            if name in GROUP_COLLECTIONS and not actor.is_group:
                raise HTTPException(404)
            if actor.is_gone:
                raise HTTPException(410)
            if name == "outbox" and actor.type == APPLICATION:
                # The quartier's outbox: its collectives' public activities.
                uri = actor.outbox_uri or f"{actor.uri}/outbox"
                document = await load_quartier_outbox(session, uri, page=page, before=before)
            elif name == "outbox":
                document = await load_outbox(session, actor, page)
            else:
                uri, source = _collection_source(actor, name)
                document = await load_collection(session, uri, source, page)
        return activity_response(document)

    collection.__name__ = f"{name}_collection"
    return collection


def _actor_routes() -> list[BaseRoute]:
    found: list[BaseRoute] = [
        Route("/@{username}", actor_document, methods=["GET"], name="actor"),
        Route("/actor", actor_document, methods=["GET"], name="instance_actor"),
    ]
    for name in (*ACTOR_COLLECTIONS, *GROUP_COLLECTIONS):
        endpoint = collection_endpoint(name)
        found.append(Route(f"/@{{username}}/{name}", endpoint, methods=["GET"], name=name))
        if name in ACTOR_COLLECTIONS:
            found.append(
                Route(f"/actor/{name}", endpoint, methods=["GET"], name=f"instance_{name}")
            )
    return found


routes: list[BaseRoute] = [
    Route("/.well-known/webfinger", webfinger, methods=["GET"], name="webfinger"),
    Route("/.well-known/host-meta", host_meta, methods=["GET"], name="host_meta"),
    Route("/.well-known/host-meta.json", host_meta_json, methods=["GET"], name="host_meta_json"),
    Route("/.well-known/nodeinfo", nodeinfo_links, methods=["GET"], name="nodeinfo_links"),
    Route("/nodeinfo/{version}", nodeinfo, methods=["GET"], name="nodeinfo"),
    *_actor_routes(),
]
