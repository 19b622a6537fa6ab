"""Follows of our actors, answers to ours, and their Undo."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors import quartier_federation
from actors.follows import receive_follow
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles
from storage.models import Actor, Follow, utcnow
from storage.models.follows import ACCEPTED


def _between_quartiers(here: Actor, there: Actor) -> bool:
    return (
        here.is_local
        and quartier_federation.is_instance_actor(here)
        and quartier_federation.is_instance_actor(there)
    )


@handles("Follow", ObjectKind.OUR_ACTOR)
async def on_follow(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.actor is not None
    here, there = target.actor, ctx.sender
    quartiers = _between_quartiers(here, there)
    before = await quartier_federation.link_with(session, here, there) if quartiers else None
    await receive_follow(
        session,
        ctx.instance.uris,
        there,
        here,
        follow_uri=ctx.activity.id,
        original=ctx.activity.raw,
    )
    if quartiers:
        await quartier_federation.when_link_changes(session, here, there, before)


@handles("Accept", ObjectKind.OUR_FOLLOW)
async def on_accept(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.follow is not None
    here = await session.get(Actor, target.follow.follower_id)
    there = ctx.sender
    quartiers = here is not None and _between_quartiers(here, there)
    before = None
    if quartiers:
        assert here is not None
        before = await quartier_federation.link_with(session, here, there)
    target.follow.state = ACCEPTED
    target.follow.accepted_at = utcnow()
    if quartiers:
        assert here is not None
        await session.flush()
        await quartier_federation.when_link_changes(session, here, there, before)


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
