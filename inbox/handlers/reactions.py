"""Like, Announce (boost) and their Undo."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from commons.remote_posts import POST_TYPES, store_remote_post
from federation.errors import FetchError, InvalidActivity
from federation.parsing import parse_object
from federation.vocab import same_origin
from inbox.context import InboxContext
from storage.models import Post, Reaction
from storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)

LIKE = "like"
ANNOUNCE = "announce"


async def _known_post_id(ctx: InboxContext, uri: str) -> int | None:
    async with ctx.instance.database.session() as session:
        return await session.scalar(
            select(Post.id).where(Post.uri == uri, Post.deleted_at.is_(None))
        )


async def _fetch_post(ctx: InboxContext, uri: str) -> int | None:
    """A boosted post we do not have: fetch it from its own server, never trust a copy."""
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
    async with ctx.instance.database.transaction() as session:
        post = await store_remote_post(session, obj, author)
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


async def on_like(ctx: InboxContext) -> None:
    uri = ctx.activity.object_uri
    post_id = await _known_post_id(ctx, uri) if uri else None
    if post_id is not None:
        await _react(ctx, LIKE, post_id)


async def on_announce(ctx: InboxContext) -> None:
    uri = ctx.activity.object_uri
    if not uri:
        return
    post_id = await _known_post_id(ctx, uri) or await _fetch_post(ctx, uri)
    if post_id is not None:
        await _react(ctx, ANNOUNCE, post_id)


async def on_undo_reaction(ctx: InboxContext) -> None:
    reaction_uri = ctx.activity.object_uri
    if not reaction_uri:
        return
    async with ctx.instance.database.transaction() as session:
        await session.execute(
            delete(Reaction).where(Reaction.uri == reaction_uri, Reaction.actor_id == ctx.sender.id)
        )
