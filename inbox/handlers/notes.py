"""Create, Update and Delete of posts."""

from __future__ import annotations

import logging

from sqlalchemy import select

from actors.neighbours import note_if_neighbour
from commons.markdown import sanitize_html
from commons.notifications import notify_reply_and_mentions
from commons.posts.notices import notify_collectives
from commons.posts.remote import POST_TYPES, store_remote_post
from federation.errors import InvalidActivity
from federation.parsing import ParsedObject, parse_object
from federation.vocab import id_of, same_origin
from inbox.context import InboxContext
from inbox.handlers import groups
from storage.models import Actor, Post, utcnow

log = logging.getLogger(__name__)


def _embedded_object(ctx: InboxContext) -> ParsedObject | None:
    if ctx.activity.object is None:
        return None
    try:
        return parse_object(ctx.activity.object)
    except InvalidActivity as error:
        log.info("unusable object in %s: %s", ctx.activity.id, error)
        return None


def _authored_by_sender(obj: ParsedObject, ctx: InboxContext) -> bool:
    """Only an object's author may create or change it, and it must live on their server."""
    author = obj.attributed_to or ctx.sender.uri
    return author == ctx.sender.uri and same_origin(obj.id, ctx.sender.uri)


async def _audience(ctx: InboxContext, obj: ParsedObject) -> Actor | None:
    candidates = [*obj.audience, *obj.to, *obj.cc]
    if not candidates:
        return None
    async with ctx.instance.database.session() as session:
        return await session.scalar(
            select(Actor)
            .where(Actor.uri.in_(candidates), Actor.type == "Group", Actor.is_local.is_(False))
            .limit(1)
        )


async def on_create(ctx: InboxContext) -> None:
    obj = _embedded_object(ctx)
    if obj is None or obj.id is None or obj.type not in POST_TYPES:
        return
    if not _authored_by_sender(obj, ctx):
        log.info("Create of %s by %s refused: not its author", obj.id, ctx.sender.uri)
        return
    group = await groups.addressed_local_group(ctx, obj)
    if group is not None:
        await groups.on_create_in_group(ctx, obj, group)
        return
    audience = await _audience(ctx, obj)
    async with ctx.instance.database.transaction() as session:
        existing = await session.scalar(select(Post.id).where(Post.uri == obj.id))
        if existing is not None:
            return
        post = await store_remote_post(session, obj, ctx.sender, audience)
        await note_if_neighbour(session, ctx.sender)
        await notify_reply_and_mentions(session, post)
        await notify_collectives(session, post)


async def on_update(ctx: InboxContext) -> None:
    obj = _embedded_object(ctx)
    if obj is None or obj.id is None or not _authored_by_sender(obj, ctx):
        return
    async with ctx.instance.database.transaction() as session:
        post = await session.scalar(
            select(Post).where(Post.uri == obj.id, Post.actor_id == ctx.sender.id)
        )
        if post is None or post.deleted_at is not None:
            return
        await store_remote_post(session, obj, ctx.sender)
        post.updated = obj.updated or utcnow()
        await groups.redistribute_change(ctx, session, post)


async def on_delete(ctx: InboxContext) -> None:
    target = ctx.activity.object_uri or id_of(ctx.activity.object)
    if not target:
        return
    async with ctx.instance.database.transaction() as session:
        post = await session.scalar(
            select(Post).where(Post.uri == target, Post.actor_id == ctx.sender.id)
        )
        if post is None or post.deleted_at is not None:
            return
        post.deleted_at = utcnow()
        post.content_html = sanitize_html("")
        post.source = None
        post.document = None
        await groups.redistribute_change(ctx, session, post)
