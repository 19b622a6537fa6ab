"""Reads about actors for the pages: collectives to list, one collective, follow states.

Each function takes an open session and returns rows; none of them writes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.blocks import limited_actor_ids
from storage.models import Account, Actor, Follow, Membership
from storage.models.actors import GROUP, MEMBERSHIP_ACCEPTED
from storage.models.follows import ACCEPTED

HOME_COLLECTIVES = 24
PICKER_COLLECTIVES = 200
CITY_COLLECTIVES = 500


async def actor_by_id(session: AsyncSession, actor_id: int) -> Actor | None:
    return await session.get(Actor, actor_id)


async def account_by_id(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def home_collectives(session: AsyncSession, limit: int = HOME_COLLECTIVES) -> Sequence[Actor]:
    """The local collectives shown on the home page, by name."""
    return (
        await session.scalars(
            select(Actor)
            .where(Actor.is_local.is_(True), Actor.type == GROUP)
            .order_by(Actor.name)
            .limit(limit)
        )
    ).all()


async def collective_directory(session: AsyncSession, kind: str | None = None) -> Sequence[Actor]:
    """The local collectives still here, of one kind or all, by name."""
    query = select(Actor).where(
        Actor.is_local.is_(True), Actor.type == GROUP, Actor.is_gone.is_(False)
    )
    if kind is not None:
        query = query.where(Actor.group_kind == kind)
    return (await session.scalars(query.order_by(Actor.name, Actor.username))).all()


async def city_collectives(
    session: AsyncSession,
    domains: Sequence[str],
    *,
    kind: str | None = None,
    quartier: str | None = None,
    limit: int = CITY_COLLECTIVES,
) -> Sequence[Actor]:
    """The collectives of the city: ours, and those known from the neighbour quartiers of
    ``domains``; of one kind, or of one quartier (by domain); by name."""
    query = select(Actor).where(
        Actor.type == GROUP,
        Actor.is_gone.is_(False),
        or_(Actor.is_local.is_(True), Actor.domain.in_(domains)),
    )
    if kind is not None:
        query = query.where(Actor.group_kind == kind)
    if quartier is not None:
        query = query.where(Actor.domain == quartier)
    ordered = query.order_by(func.lower(func.coalesce(Actor.name, Actor.username)), Actor.id)
    return (await session.scalars(ordered.limit(limit))).all()


async def collectives_to_pick(
    session: AsyncSession, limit: int = PICKER_COLLECTIVES
) -> Sequence[Actor]:
    """The local collectives an agenda can be narrowed to, by name."""
    return (
        await session.scalars(
            select(Actor)
            .where(Actor.is_local, Actor.type == GROUP, Actor.is_gone.is_(False))
            .order_by(Actor.name)
            .limit(limit)
        )
    ).all()


async def located_collectives(
    session: AsyncSession,
    limit: int,
    *,
    left_out: Sequence[str] = (),
    quartier: str | None = None,
) -> Sequence[Actor]:
    """Collectives with a place on the map (local or known from elsewhere, not of a limited
    domain nor of the ``left_out`` ones; only those of the ``quartier`` domain), by name."""
    query = select(Actor).where(
        Actor.type == GROUP,
        Actor.latitude.is_not(None),
        Actor.longitude.is_not(None),
        Actor.is_gone.is_(False),
        Actor.id.not_in(limited_actor_ids()),
    )
    if left_out:
        query = query.where(Actor.domain.not_in(left_out))
    if quartier is not None:
        query = query.where(Actor.domain == quartier)
    return (await session.scalars(query.order_by(Actor.name).limit(limit))).all()


async def local_collective(session: AsyncSession, uri: str) -> Actor | None:
    """The local collective at ``uri`` (gone ones included: the caller decides)."""
    return await session.scalar(
        select(Actor).where(Actor.uri == uri, Actor.is_local.is_(True), Actor.type == GROUP)
    )


async def collective_named(session: AsyncSession, name: str) -> Actor | None:
    """A collective by ``name`` (local) or ``name@domain`` (from another server)."""
    username, _, domain = name.partition("@")
    statement = select(Actor).where(Actor.type == GROUP, Actor.username == username.lower())
    statement = (
        statement.where(Actor.domain == domain) if domain else statement.where(Actor.is_local)
    )
    return await session.scalar(statement)


async def follow_state(session: AsyncSession, follower_id: int, followed_id: int) -> str | None:
    """The state of the follow from one actor to another, None when there is none."""
    return await session.scalar(
        select(Follow.state).where(
            Follow.follower_id == follower_id, Follow.followed_id == followed_id
        )
    )


async def followed_among(
    session: AsyncSession, follower_id: int, candidate_ids: Sequence[int]
) -> set[int]:
    """Which of ``candidate_ids`` the follower follows or has asked to follow."""
    rows = await session.scalars(
        select(Follow.followed_id).where(
            Follow.follower_id == follower_id, Follow.followed_id.in_(candidate_ids)
        )
    )
    return set(rows.all())


async def follow_requests_to(session: AsyncSession, followed_id: int) -> dict[int, Follow]:
    """The follows of an actor not accepted yet, by follower id."""
    rows = await session.scalars(
        select(Follow).where(Follow.followed_id == followed_id, Follow.state != ACCEPTED)
    )
    return {row.follower_id: row for row in rows}


async def follow_by_id(session: AsyncSession, follow_id: int) -> Follow | None:
    return await session.get(Follow, follow_id)


async def member_collectives(session: AsyncSession, actor_id: int) -> list[Actor]:
    """The collectives the actor is an accepted member of, by name."""
    rows = await session.scalars(
        select(Actor)
        .join(Membership, Membership.group_id == Actor.id)
        .where(
            Membership.member_id == actor_id,
            Membership.state == MEMBERSHIP_ACCEPTED,
            Actor.type == GROUP,
        )
        .order_by(Actor.name)
    )
    return list(rows.all())


async def admin_actors(session: AsyncSession) -> list[Actor]:
    """The actors of the instance's admins (not suspended), to say whom to ask for an invitation."""
    found = await session.scalars(
        select(Actor)
        .join(Account, Account.actor_id == Actor.id)
        .where(Account.is_admin.is_(True), Account.is_suspended.is_(False))
        .order_by(Account.id)
        .limit(5)
    )
    return list(found)


async def count_accounts(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Account)) or 0
