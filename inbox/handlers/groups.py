"""Our collectives in the inbox: Join, Leave and Undo(Join), and members' posts to pass on.

A remote resident joins one of our Groups with ``Join{object: group}`` (Mobilizon's shape) and
leaves with ``Leave`` (or ``Undo{Join}``). A ``Create`` of a post whose ``audience``, ``to`` or
``cc`` names one of our Groups, or that mentions it (how Mastodon users post into a group),
becomes a post in the collective when its author may post there, and the collective announces
it to its followers (see :mod:`outbox.redistribution`). The author's later Update and Delete
are announced the same way.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors import groups
from commons.notifications import notify_reply_and_mentions
from commons.posts.notices import notify_collectives
from commons.posts.remote import store_remote_post
from federation.parsing import ParsedObject
from federation.vocab import id_of, is_public
from inbox.context import InboxContext
from outbox.redistribution import redistribute
from storage.models import Actor, Post
from storage.models.actors import GROUP

log = logging.getLogger(__name__)


async def _local_group(session: AsyncSession, uri: str | None) -> Actor | None:
    if not uri:
        return None
    return await session.scalar(
        select(Actor).where(
            Actor.uri == uri,
            Actor.is_local.is_(True),
            Actor.type == GROUP,
            Actor.is_gone.is_(False),
        )
    )


async def targets_local_group(ctx: InboxContext) -> bool:
    """Whether a Join or Leave is about one of our collectives (events use Join too)."""
    async with ctx.instance.database.session() as session:
        return await _local_group(session, ctx.activity.object_uri) is not None


async def on_join(ctx: InboxContext) -> None:
    async with ctx.instance.database.transaction() as session:
        group = await _local_group(session, ctx.activity.object_uri)
        if group is None:
            return
        try:
            await groups.join(
                session, ctx.instance.uris, group, ctx.sender, join_uri=ctx.activity.id
            )
        except groups.InvitationRequired:
            log.info("Join of %s by %s refused: invitation only", group.uri, ctx.sender.uri)


async def _leave(ctx: InboxContext, group_uri: str | None) -> None:
    async with ctx.instance.database.transaction() as session:
        group = await _local_group(session, group_uri)
        if group is None:
            return
        try:
            await groups.leave(session, group, ctx.sender)
        except groups.LastAdmin:
            log.info("Leave of %s by %s refused: last admin", group.uri, ctx.sender.uri)


async def on_leave(ctx: InboxContext) -> None:
    await _leave(ctx, ctx.activity.object_uri)


async def on_undo_join(ctx: InboxContext) -> None:
    inner = ctx.activity.object or {}
    await _leave(ctx, id_of(inner.get("object")))


async def addressed_local_group(ctx: InboxContext, obj: ParsedObject) -> Actor | None:
    """The collective of ours a public post is addressed to or mentions, if any."""
    if not any(is_public(uri) for uri in [*obj.to, *obj.cc]):
        return None
    candidates = [*obj.audience, *obj.to, *obj.cc, *obj.mention_uris]
    if not candidates:
        return None
    async with ctx.instance.database.session() as session:
        return await session.scalar(
            select(Actor)
            .where(
                Actor.uri.in_(candidates),
                Actor.is_local.is_(True),
                Actor.type == GROUP,
                Actor.is_gone.is_(False),
            )
            .order_by(Actor.id)
            .limit(1)
        )


async def on_create_in_group(ctx: InboxContext, obj: ParsedObject, group: Actor) -> None:
    """Keep a member's post in the collective and announce it; a stranger's stays ordinary.

    Either way, the people it mentions or answers hear of it, and so do the facilitators of
    the collectives it mentions or answers (a reply to the collective's event lands here, since
    Mastodon addresses a reply to the event's ``attributedTo``)."""
    assert obj.id is not None
    async with ctx.instance.database.transaction() as session:
        if await session.scalar(select(Post.id).where(Post.uri == obj.id)) is not None:
            return
        if not await groups.may_post(session, group, ctx.sender):
            log.info("post %s by %s to %s: not a member", obj.id, ctx.sender.uri, group.uri)
            post = await store_remote_post(session, obj, ctx.sender, None)
        else:
            post = await store_remote_post(session, obj, ctx.sender, group)
            await redistribute(session, ctx.instance.uris, group, ctx.activity.raw)
        await notify_reply_and_mentions(session, post)
        await notify_collectives(session, post)


async def redistribute_change(ctx: InboxContext, session: AsyncSession, post: Post) -> None:
    """The author of a post in one of our collectives changed or deleted it: pass it on."""
    if post.audience_id is None:
        return
    group = await session.get(Actor, post.audience_id)
    if group is None or not group.is_local or not group.is_group:
        return
    await redistribute(session, ctx.instance.uris, group, ctx.activity.raw)
