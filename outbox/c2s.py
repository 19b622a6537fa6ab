"""ActivityPub client-to-server: ``POST /@name/outbox`` with a bearer token.

A bare object is wrapped in a ``Create`` (ActivityPub §6.2.1). Each activity calls the same
service as the web pages; the answer is 201 with the new activity's id in ``Location``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.follows import follow, unfollow
from actors.services import token_digest
from commons.posts import delete_note, edit_note, publish_note
from commons.reactions import ANNOUNCE, LIKE, react, undo_reaction
from federation.vocab import PUBLIC_ALIASES, first_str, id_of, ids_of
from quartiers import bodies
from quartiers.instance import Instance, instance_of
from storage.models import Account, Activity, Actor, ApiToken, Follow, Post, Reaction, utcnow
from storage.models.posts import FOLLOWERS, MENTIONED, PUBLIC

OBJECT_TYPES = frozenset({"Note", "Article", "Page"})


class ClientError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def post_to_outbox(request: Request) -> Response:
    instance = instance_of(request)
    try:
        actor = await _authenticated_owner(request, instance)
        document = await _read_document(request, instance)
        activity_uri = await _perform(instance, actor, document)
    except ClientError as error:
        return JSONResponse({"error": error.reason}, status_code=error.status)
    return Response(status_code=201, headers={"Location": activity_uri})


async def _authenticated_owner(request: Request, instance: Instance) -> Actor:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ClientError(401, "a bearer token is required (quartiers token create USERNAME)")
    async with instance.database.transaction() as session:
        row = await session.execute(
            select(ApiToken, Account)
            .join(Account, Account.id == ApiToken.account_id)
            .where(ApiToken.token_sha256 == token_digest(token.strip()))
        )
        found = row.first()
        if found is None:
            raise ClientError(401, "unknown token")
        api_token, account = found
        if account.is_suspended:
            raise ClientError(403, "this account is suspended")
        if account.username != request.path_params["username"]:
            raise ClientError(403, "a token may only post to its own outbox")
        api_token.last_used_at = utcnow()
        actor = await session.get(Actor, account.actor_id)
    assert actor is not None
    return actor


async def _read_document(request: Request, instance: Instance) -> dict[str, Any]:
    try:
        body = await bodies.read_capped_body(request, instance.settings.federation.max_body_bytes)
        document = bodies.parse_json_body(body)
    except bodies.BodyTooLarge as error:
        raise ClientError(413, str(error)) from None
    except bodies.BodyNotJSON as error:
        raise ClientError(400, str(error)) from None
    if not isinstance(document, dict) or not isinstance(document.get("type"), str):
        raise ClientError(400, "expected a JSON object with a type")
    return document


async def _perform(instance: Instance, actor: Actor, document: dict[str, Any]) -> str:
    kind = document["type"]
    if kind in OBJECT_TYPES:
        document = {
            "type": "Create",
            "object": document,
            "to": document.get("to"),
            "cc": document.get("cc"),
        }
        kind = "Create"
    match kind:
        case "Create":
            return await _create(instance, actor, document)
        case "Follow":
            return await _follow(instance, actor, _object_id(document))
        case "Like" | "Announce":
            return await _react(
                instance, actor, _object_id(document), LIKE if kind == "Like" else ANNOUNCE
            )
        case "Undo":
            return await _undo(instance, actor, _object_id(document))
        case "Update":
            return await _update(instance, actor, document)
        case "Delete":
            return await _delete(instance, actor, _object_id(document))
    raise ClientError(400, f"{kind} is not supported here")


def _object_id(document: dict[str, Any]) -> str:
    uri = id_of(document.get("object"))
    if not uri:
        raise ClientError(400, "the activity needs an object")
    return uri


async def _activity_uri(
    session: AsyncSession, actor: Actor, activity_type: str, object_uri: str | None = None
) -> str:
    """The activity a service just queued (the newest of this type on this object by ``actor``)."""
    query = select(Activity.uri).where(
        Activity.actor_id == actor.id, Activity.type == activity_type
    )
    if object_uri is not None:
        query = query.where(Activity.object_uri == object_uri)
    uri = await session.scalar(query.order_by(Activity.id.desc()).limit(1))
    assert uri is not None
    return uri


def _visibility(addressed: list[str], actor: Actor) -> str:
    if not addressed or any(uri in PUBLIC_ALIASES for uri in addressed):
        return PUBLIC
    if actor.followers_uri in addressed:
        return FOLLOWERS
    return MENTIONED


def _markdown_of(obj: dict[str, Any]) -> str:
    source = obj.get("source")
    if isinstance(source, dict) and isinstance(source.get("content"), str):
        return str(source["content"])
    content = obj.get("content")
    if not isinstance(content, str) or not content.strip():
        raise ClientError(400, "a note needs some content")
    return content


async def _create(instance: Instance, actor: Actor, document: dict[str, Any]) -> str:
    obj = document.get("object")
    if not isinstance(obj, dict) or obj.get("type") not in OBJECT_TYPES:
        raise ClientError(400, "Create takes an embedded Note")
    markdown = _markdown_of(obj)
    addressed = ids_of(obj.get("to") or document.get("to")) + ids_of(
        obj.get("cc") or document.get("cc")
    )
    audience_uri = first_str(obj.get("audience"))
    async with instance.database.transaction() as session:
        audience = None
        if audience_uri:
            audience = await session.scalar(select(Actor).where(Actor.uri == audience_uri))
            if audience is None or not audience.is_group:
                raise ClientError(400, "the audience must be a known collective")
        post = await publish_note(
            session,
            instance.uris,
            actor,
            markdown,
            audience=audience,
            visibility=_visibility(addressed, actor),
            summary=first_str(obj.get("summary")),
            in_reply_to=id_of(obj.get("inReplyTo")),
        )
        return await _activity_uri(session, actor, "Create", post.uri)


async def _resolve(instance: Instance, uri: str) -> Actor:
    target = await instance.remote_actors.actor(uri)
    if target is None:
        raise ClientError(404, f"cannot find the actor {uri}")
    return target


async def _follow(instance: Instance, actor: Actor, target_uri: str) -> str:
    target = await _resolve(instance, target_uri)
    if target.id == actor.id:
        raise ClientError(400, "one cannot follow oneself")
    async with instance.database.transaction() as session:
        row = await follow(session, instance.uris, actor, target)
        return row.uri


async def _own_post(session: AsyncSession, actor: Actor, uri: str) -> Post:
    post = await session.scalar(select(Post).where(Post.uri == uri, Post.deleted_at.is_(None)))
    if post is None:
        raise ClientError(404, f"no post {uri}")
    if post.actor_id != actor.id:
        raise ClientError(403, "only its author may change a post")
    return post


async def _react(instance: Instance, actor: Actor, post_uri: str, kind: str) -> str:
    async with instance.database.transaction() as session:
        post = await session.scalar(
            select(Post).where(Post.uri == post_uri, Post.deleted_at.is_(None))
        )
        if post is None:
            raise ClientError(404, f"no post {post_uri}")
        reaction = await react(session, instance.uris, actor, post, kind)
        return reaction.uri


async def _undo(instance: Instance, actor: Actor, uri: str) -> str:
    async with instance.database.transaction() as session:
        reaction = await session.scalar(
            select(Reaction).where(Reaction.uri == uri, Reaction.actor_id == actor.id)
        )
        if reaction is not None:
            await undo_reaction(session, instance.uris, actor, reaction)
            return await _activity_uri(session, actor, "Undo")
        row = await session.scalar(
            select(Follow).where(Follow.uri == uri, Follow.follower_id == actor.id)
        )
        if row is None:
            raise ClientError(404, f"nothing of yours to undo at {uri}")
        target = await session.get(Actor, row.followed_id)
        assert target is not None
        await unfollow(session, instance.uris, actor, target)
        if target.is_local:
            return row.uri
        return await _activity_uri(session, actor, "Undo")


async def _update(instance: Instance, actor: Actor, document: dict[str, Any]) -> str:
    obj = document.get("object")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise ClientError(400, "Update takes the embedded object with its id")
    async with instance.database.transaction() as session:
        post = await _own_post(session, actor, obj["id"])
        await edit_note(session, instance.uris, actor, post, _markdown_of(obj))
        return await _activity_uri(session, actor, "Update", post.uri)


async def _delete(instance: Instance, actor: Actor, uri: str) -> str:
    async with instance.database.transaction() as session:
        post = await _own_post(session, actor, uri)
        await delete_note(session, instance.uris, actor, post)
        return await _activity_uri(session, actor, "Delete", post.uri)


routes = [Route("/@{username}/outbox", post_to_outbox, methods=["POST"])]
