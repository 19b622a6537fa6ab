"""Our objects and activities at their ids: AS2 JSON for servers, a page for people.

Mastodon dereferences the id of an object announced by a Group (and of any activity it
cannot trust embedded), so every id we emit answers a GET. Only public ones for now:
followers-only posts need the requester's signature, which comes with secure mode. A post's
author reads any of their posts back with their C2S bearer token, Markdown source included.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from actors.documents import iso
from commons.posts.wire import build_note, build_tombstone
from endpoints.actors import activity_response
from endpoints.c2s.auth import is_author_reading
from endpoints.c2s.errors import ClientError
from endpoints.faces import html_faces, wants_activitypub
from endpoints.outbox import OBJECT_CARRYING_TYPES
from federation.vocab import build_context
from instance.runtime import instance_of
from storage.models import Activity, Actor, Post
from storage.models.posts import PUBLIC


async def post_document(request: Request) -> Response:
    instance = instance_of(request)
    uri = f"{instance.uris.base}/posts/{request.path_params['post_id']}"
    async with instance.database.session() as session:
        row = (
            await session.execute(
                select(Post, Actor)
                .join(Actor, Post.actor_id == Actor.id)
                .where(Post.uri == uri, Post.is_local.is_(True))
            )
        ).first()
        if row is None:
            raise HTTPException(404)
        post, author = row
        audience = await session.get(Actor, post.audience_id) if post.audience_id else None
    if not wants_activitypub(request):
        return await html_faces(request).post(request, post, author, audience)
    try:
        is_author = await is_author_reading(request, instance, author)
    except ClientError as error:
        return JSONResponse({"error": error.reason}, status_code=error.status)
    if post.visibility != PUBLIC and not is_author:
        raise HTTPException(404)
    if post.deleted_at is not None:
        return activity_response(build_tombstone(post), 410)
    return activity_response(build_note(post, author, audience, for_author=is_author))


def build_activity_tombstone(activity: Activity, deleted_at: datetime) -> dict[str, Any]:
    return {
        "@context": build_context(),
        "id": activity.uri,
        "type": "Tombstone",
        "formerType": activity.type,
        "deleted": iso(deleted_at),
    }


async def activity_document(request: Request) -> Response:
    """The activity as it was sent; a Create or Update of a deleted post is gone with it. One
    that is not public is there for its sender's C2S token alone."""
    instance = instance_of(request)
    uri = f"{instance.uris.base}/activities/{request.path_params['activity_id']}"
    async with instance.database.session() as session:
        activity = await session.scalar(select(Activity).where(Activity.uri == uri))
        if activity is None:
            raise HTTPException(404)
        sender = None if activity.is_public else await session.get(Actor, activity.actor_id)
        deleted_at = None
        if activity.type in OBJECT_CARRYING_TYPES and activity.object_uri:
            deleted_at = await session.scalar(
                select(Post.deleted_at).where(Post.uri == activity.object_uri)
            )
    if not activity.is_public:
        try:
            if sender is None or not await is_author_reading(request, instance, sender):
                raise HTTPException(404)
        except ClientError as error:
            return JSONResponse({"error": error.reason}, status_code=error.status)
    if deleted_at is not None:
        return activity_response(build_activity_tombstone(activity, deleted_at), 410)
    document: dict[str, Any] = json.loads(activity.payload)
    return activity_response(document)


routes: list[BaseRoute] = [
    Route("/posts/{post_id:uuid}", post_document, methods=["GET"], name="post"),
    Route("/activities/{activity_id:uuid}", activity_document, methods=["GET"], name="activity"),
]
