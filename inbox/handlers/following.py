"""Follow, Accept, Reject and Undo(Follow)."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from commons.notifications import notify
from federation.vocab import id_of
from inbox.context import InboxContext
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Follow, utcnow
from storage.models.follows import ACCEPTED, PENDING

log = logging.getLogger(__name__)


async def on_follow(ctx: InboxContext) -> None:
    """A collective accepts at once; a resident may choose to approve followers by hand."""
    activity, sender = ctx.activity, ctx.sender
    async with ctx.instance.database.transaction() as session:
        target = await session.scalar(
            select(Actor).where(Actor.uri == activity.object_uri, Actor.is_local.is_(True))
        )
        if target is None:
            log.info("Follow of unknown actor %s ignored", activity.object_uri)
            return
        follow = await session.scalar(
            select(Follow).where(Follow.follower_id == sender.id, Follow.followed_id == target.id)
        )
        if follow is None:
            follow = Follow(
                uri=activity.id, follower_id=sender.id, followed_id=target.id, state=PENDING
            )
            session.add(follow)
        else:
            follow.uri = activity.id or follow.uri
        if target.is_group or not target.manually_approves_followers or follow.state == ACCEPTED:
            follow.state = ACCEPTED
            follow.accepted_at = follow.accepted_at or utcnow()
            await session.flush()
            accept = build_activity(
                ctx.instance.uris, "Accept", target, activity.raw, [sender.uri], []
            )
            await enqueue_activity(
                session, target, accept, to_followers=False, inboxes=[sender.inbox_uri]
            )
        if not target.is_group:
            await session.flush()
            kind = "follow" if follow.state == ACCEPTED else "follow_request"
            await notify(session, target.id, kind, sender.id)


async def _our_follow(ctx: InboxContext) -> Follow | None:
    """The Follow an Accept/Reject answers: by its id, else by who follows whom."""
    activity, sender = ctx.activity, ctx.sender
    follow_uri = activity.object_uri
    async with ctx.instance.database.session() as session:
        follow = None
        if follow_uri:
            follow = await session.scalar(
                select(Follow).where(Follow.uri == follow_uri, Follow.followed_id == sender.id)
            )
        if follow is None and activity.object is not None:
            follower_uri = id_of(activity.object.get("actor"))
            follower = await session.scalar(
                select(Actor).where(Actor.uri == follower_uri, Actor.is_local.is_(True))
            )
            if follower is not None:
                follow = await session.scalar(
                    select(Follow).where(
                        Follow.follower_id == follower.id, Follow.followed_id == sender.id
                    )
                )
    return follow


async def on_accept(ctx: InboxContext) -> None:
    follow = await _our_follow(ctx)
    if follow is None:
        return
    async with ctx.instance.database.transaction() as session:
        row = await session.get(Follow, follow.id)
        if row is not None:
            row.state = ACCEPTED
            row.accepted_at = utcnow()


async def on_reject(ctx: InboxContext) -> None:
    follow = await _our_follow(ctx)
    if follow is None:
        return
    async with ctx.instance.database.transaction() as session:
        await session.execute(delete(Follow).where(Follow.id == follow.id))


async def on_undo_follow(ctx: InboxContext) -> None:
    inner = ctx.activity.object or {}
    followed_uri = id_of(inner.get("object"))
    async with ctx.instance.database.transaction() as session:
        condition = Follow.uri == ctx.activity.object_uri
        if followed_uri:
            target_id = select(Actor.id).where(Actor.uri == followed_uri).scalar_subquery()
            condition = condition | (Follow.followed_id == target_id)
        await session.execute(delete(Follow).where(Follow.follower_id == ctx.sender.id, condition))
