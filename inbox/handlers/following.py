"""Follows of our actors, answers to ours, and their Undo."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.follows import receive_follow
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles
from storage.models import Actor, Follow, utcnow
from storage.models.follows import ACCEPTED


@handles("Follow", ObjectKind.OUR_ACTOR)
async def on_follow(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.actor is not None
    await receive_follow(
        session,
        ctx.instance.uris,
        ctx.sender,
        target.actor,
        follow_uri=ctx.activity.id,
        original=ctx.activity.raw,
    )


@handles("Accept", ObjectKind.OUR_FOLLOW)
async def on_accept(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.follow is not None
    target.follow.state = ACCEPTED
    target.follow.accepted_at = utcnow()


@handles("Reject", ObjectKind.OUR_FOLLOW)
async def on_reject(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.follow is not None
    await session.execute(delete(Follow).where(Follow.id == target.follow.id))


async def undo_follow(ctx: InboxContext, session: AsyncSession, followed_uri: str | None) -> None:
    """The sender's Follow named by the Undo's object id, or of the actor it names."""
    condition = Follow.uri == ctx.activity.object_uri
    if followed_uri:
        target_id = select(Actor.id).where(Actor.uri == followed_uri).scalar_subquery()
        condition = condition | (Follow.followed_id == target_id)
    await session.execute(delete(Follow).where(Follow.follower_id == ctx.sender.id, condition))


@handles("Undo", ObjectKind.FOLLOW)
async def on_undo_follow(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    await undo_follow(ctx, session, target.uri)
