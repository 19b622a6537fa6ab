"""Like, Announce (boost) and their Undo."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from commons.notifications import notify
from commons.posts.remote import POST_TYPES, store_remote_post
from federation.errors import BadResponse, FetchError, InvalidActivity
from federation.parsing import parse_object
from federation.vocab import first_str, id_of, same_origin
from inbox.context import InboxContext
from storage.models import Post, Reaction, utcnow
from storage.models.posts import ANNOUNCE, LIKE
from storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)


async def _known_post_id(ctx: InboxContext, uri: str) -> int | None:
    async with ctx.instance.database.session() as session:
        return await session.scalar(
            select(Post.id).where(Post.uri == uri, Post.deleted_at.is_(None))
        )


async def _fetch_post(ctx: InboxContext, uri: str, *, refresh: bool = False) -> int | None:
    """A boosted post we do not have: fetch it from its own server, never trust a copy.

    When a collective (a Group) boosts a post addressed to it, the post belongs to the
    collective: it is stored with the collective as its audience, so its followers see it.
    """
    client = ctx.instance.federation
    if client is None:
        return None
    try:
        document = await client.fetch_document(uri, await ctx.instance.remote_actors.signer())
        obj = parse_object(document.data)
    except (FetchError, InvalidActivity) as error:
        log.info("cannot fetch boosted object %s: %s", uri, error)
        return None
    if obj.id is None or obj.type not in POST_TYPES or not same_origin(obj.id, document.url):
        return None
    if not obj.attributed_to:
        return None
    author = await ctx.instance.remote_actors.actor(obj.attributed_to)
    if author is None or not same_origin(author.uri, obj.id):
        return None
    group = ctx.sender if ctx.sender.is_group else None
    addressed = {*obj.audience, *obj.to, *obj.cc}
    audience = group if group is not None and group.uri in addressed else None
    async with ctx.instance.database.transaction() as session:
        existing = await session.scalar(select(Post).where(Post.uri == obj.id))
        if existing is not None and not refresh:
            return existing.id
        post = await store_remote_post(session, obj, author, audience)
        return post.id


async def _react(ctx: InboxContext, kind: str, post_id: int) -> None:
    """One reaction of a kind per actor and post: a second Like under a new id changes nothing."""
    async with ctx.instance.database.transaction() as session:
        existing = await session.scalar(
            select(Reaction.id).where(
                Reaction.kind == kind,
                Reaction.actor_id == ctx.sender.id,
                Reaction.post_id == post_id,
            )
        )
        if existing is not None:
            return
        await insert_ignoring_duplicates(
            session,
            Reaction,
            [{"uri": ctx.activity.id, "kind": kind, "actor_id": ctx.sender.id, "post_id": post_id}],
            ["uri"],
        )
        author_id = await session.scalar(
            select(Post.actor_id).where(Post.id == post_id, Post.is_local.is_(True))
        )
        if author_id is not None:
            await notify(
                session, author_id, "like" if kind == LIKE else "boost", ctx.sender.id, post_id
            )


async def on_like(ctx: InboxContext) -> None:
    uri = ctx.activity.object_uri
    post_id = await _known_post_id(ctx, uri) if uri else None
    if post_id is not None:
        await _react(ctx, LIKE, post_id)


async def on_announce(ctx: InboxContext) -> None:
    """A boost of a post, or (from a collective, FEP-1b12) the redistribution of an activity."""
    inner = ctx.activity.object
    inner_type = first_str(inner.get("type")) if inner is not None else None
    if inner is not None and inner_type in REDISTRIBUTED:
        await _on_redistributed(ctx, inner_type, id_of(inner.get("object")))
        return
    uri = ctx.activity.object_uri
    if not uri:
        return
    post_id = await _known_post_id(ctx, uri) or await _fetch_post(ctx, uri)
    if post_id is not None:
        await _react(ctx, ANNOUNCE, post_id)


REDISTRIBUTED = frozenset({"Create", "Update", "Delete"})


async def _on_redistributed(ctx: InboxContext, inner_type: str | None, uri: str | None) -> None:
    """``Announce{Create|Update|Delete}`` by a collective: the embedded activity is signed by
    nobody we can check, so the object is fetched again from its own server."""
    if not uri or not ctx.sender.is_group:
        return
    if inner_type == "Create":
        if await _known_post_id(ctx, uri) is None:
            await _fetch_post(ctx, uri)
        return
    if await _known_post_id(ctx, uri) is None:
        return
    if inner_type == "Update":
        await _fetch_post(ctx, uri, refresh=True)
        return
    client = ctx.instance.federation
    if client is None:
        return
    try:
        await client.fetch_document(uri, await ctx.instance.remote_actors.signer())
    except BadResponse as gone:
        if gone.status in (404, 410):
            async with ctx.instance.database.transaction() as session:
                post = await session.scalar(select(Post).where(Post.uri == uri))
                if post is not None and post.deleted_at is None:
                    post.deleted_at = utcnow()
                    post.content_html = ""
                    post.document = None
    except (FetchError, InvalidActivity) as error:
        log.info("cannot check deleted object %s: %s", uri, error)


async def on_undo_reaction(ctx: InboxContext) -> None:
    reaction_uri = ctx.activity.object_uri
    if not reaction_uri:
        return
    async with ctx.instance.database.transaction() as session:
        await session.execute(
            delete(Reaction).where(Reaction.uri == reaction_uri, Reaction.actor_id == ctx.sender.id)
        )
