"""Create, Update and Delete of posts, and posts addressed to our collectives.

A ``Create`` of a post whose ``audience``, ``to`` or ``cc`` names one of our Groups, or that
mentions it (how Mastodon users post into a group), becomes a post in the collective when its
author may post there, and the collective announces it to its followers (see
:mod:`outbox.redistribution`). The author's later Update and Delete are announced the same way.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from actors.groups import may_post
from commons.posts.received import authored_by, erase_post, receive_post, receive_post_change
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles
from outbox.redistribution import redistribute
from storage.models import Actor, Post

log = logging.getLogger(__name__)


@handles("Create", ObjectKind.REMOTE_NOTE)
async def on_create(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.note is not None
    if not authored_by(target.note, ctx.sender):
        log.info("Create of %s by %s refused: not its author", target.note.id, ctx.sender.uri)
        return
    await receive_post(session, target.note, ctx.sender, target.audience, neighbour=True)


@handles("Create", ObjectKind.POST_TO_OUR_GROUP)
async def on_create_in_group(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """Keep a member's post in the collective and announce it; a stranger's stays ordinary.

    Either way, the people it mentions or answers hear of it, and so do the facilitators of
    the collectives it mentions or answers (a reply to the collective's event lands here, since
    Mastodon addresses a reply to the event's ``attributedTo``)."""
    note, group = target.note, target.actor
    assert note is not None and group is not None
    if not authored_by(note, ctx.sender):
        log.info("Create of %s by %s refused: not its author", note.id, ctx.sender.uri)
        return
    if not await may_post(session, group, ctx.sender):
        log.info("post %s by %s to %s: not a member", note.id, ctx.sender.uri, group.uri)
        await receive_post(session, note, ctx.sender, None)
    elif await receive_post(session, note, ctx.sender, group) is not None:
        await redistribute(session, ctx.instance.uris, group, ctx.activity.raw)


@handles("Update", ObjectKind.KNOWN_POST)
async def on_update(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    note, post = target.note, target.post
    assert note is not None and post is not None
    if not authored_by(note, ctx.sender):
        log.info("Update of %s by %s refused: not its author", note.id, ctx.sender.uri)
        return
    if await receive_post_change(session, note, ctx.sender, post):
        await _redistribute_change(ctx, session, post)


@handles("Delete", ObjectKind.KNOWN_POST)
async def on_delete(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    post = target.post
    assert post is not None
    if post.actor_id != ctx.sender.id:
        log.info("Delete of %s by %s refused: not its author", post.uri, ctx.sender.uri)
        return
    if erase_post(post):
        await _redistribute_change(ctx, session, post)


async def _redistribute_change(ctx: InboxContext, session: AsyncSession, post: Post) -> None:
    """The author of a post in one of our collectives changed or deleted it: pass it on."""
    if post.audience_id is None:
        return
    group = await session.get(Actor, post.audience_id)
    if group is None or not group.is_local or not group.is_group:
        return
    await redistribute(session, ctx.instance.uris, group, ctx.activity.raw)
