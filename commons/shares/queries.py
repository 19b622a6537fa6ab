"""What the pages show of shares: where a resident may share, a collective's queue and what it
shares, and through which collectives an item came."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from actors.groups import is_moderator
from commons.shares.items import SharedItem, items_by_uri
from storage.models import Actor, Follow, Membership, Share
from storage.models.actors import GROUP, MEMBERSHIP_ACCEPTED
from storage.models.shares import EVERYONE_WAITS, SHARE_PENDING, SHARE_SHARED

SHARED_ON_PAGE = 12


@dataclass(frozen=True, slots=True)
class ShareChoice:
    """One collective a resident may share into, and what sharing there does."""

    group: Actor
    waits: bool  # their share will wait for a facilitator
    state: str | None  # the item's share there already: pending or shared (refused: None)


@dataclass(frozen=True, slots=True)
class ShareView:
    share: Share
    item: SharedItem
    sharer: Actor | None
    via: Actor | None


async def share_choices(session: AsyncSession, person: Actor, item_uri: str) -> list[ShareChoice]:
    """The collectives of ours ``person`` is an accepted member of."""
    rows = await session.execute(
        select(Actor, Membership)
        .join(Membership, Membership.group_id == Actor.id)
        .where(
            Membership.member_id == person.id,
            Membership.state == MEMBERSHIP_ACCEPTED,
            Actor.is_local.is_(True),
            Actor.type == GROUP,
            Actor.is_gone.is_(False),
        )
        .order_by(Actor.name, Actor.username)
    )
    pairs = list(rows)
    found = await session.execute(
        select(Share.group_id, Share.state).where(
            Share.object_uri == item_uri,
            Share.group_id.in_([group.id for group, _m in pairs]),
        )
    )
    states = {group_id: state for group_id, state in found}
    return [
        ShareChoice(
            group,
            group.share_approval == EVERYONE_WAITS or not is_moderator(membership),
            state if (state := states.get(group.id)) in (SHARE_PENDING, SHARE_SHARED) else None,
        )
        for group, membership in pairs
    ]


async def _views(session: AsyncSession, shares: Sequence[Share]) -> list[ShareView]:
    items = await items_by_uri(session, {share.object_uri for share in shares})
    people_ids = {i for share in shares for i in (share.sharer_id, share.via_id) if i is not None}
    people = {
        actor.id: actor
        for actor in await session.scalars(select(Actor).where(Actor.id.in_(people_ids)))
    }
    return [
        ShareView(
            share,
            items[share.object_uri],
            people.get(share.sharer_id) if share.sharer_id else None,
            people.get(share.via_id) if share.via_id else None,
        )
        for share in shares
        if share.object_uri in items
    ]


async def waiting_shares(session: AsyncSession, group: Actor) -> list[ShareView]:
    """A collective's moderation queue, oldest first."""
    shares = await session.scalars(
        select(Share)
        .where(Share.group_id == group.id, Share.state == SHARE_PENDING)
        .order_by(Share.id)
    )
    return await _views(session, shares.all())


async def shared_by(
    session: AsyncSession, group: Actor, limit: int = SHARED_ON_PAGE
) -> list[ShareView]:
    """What a collective shares (ours) or was seen to share (a remote one), newest first."""
    shares = await session.scalars(
        select(Share)
        .where(Share.group_id == group.id, Share.state == SHARE_SHARED)
        .order_by(Share.decided_at.desc(), Share.id.desc())
        .limit(limit)
    )
    views = await _views(session, shares.all())
    return [view for view in views if view.item.row.deleted_at is None]


async def shared_via(session: AsyncSession, item_uri: str) -> list[Actor]:
    """The collectives, ours and remote, through which an item reaches us."""
    found = await session.scalars(
        select(Actor)
        .join(Share, Share.group_id == Actor.id)
        .where(Share.object_uri == item_uri, Share.state == SHARE_SHARED)
        .order_by(Share.id)
    )
    return list(found)


@dataclass(frozen=True, slots=True)
class FollowedCollective:
    follow: Follow
    collective: Actor


async def followed_collectives(session: AsyncSession, group: Actor) -> list[FollowedCollective]:
    followed = aliased(Actor)
    rows = await session.execute(
        select(Follow, followed)
        .join(followed, followed.id == Follow.followed_id)
        .where(Follow.follower_id == group.id, followed.type == GROUP)
        .order_by(followed.username)
    )
    return [FollowedCollective(follow, actor) for follow, actor in rows]
