"""Who may organise an event: a resident for themself, a collective through its admins and
facilitators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.groups import MODERATOR_ROLES
from config.errors import ErrorCode, NotAllowed
from storage.models import Actor, Event, Membership
from storage.models.actors import MEMBERSHIP_ACCEPTED


class NotOrganiser(NotAllowed):
    """The person may not act for this organiser (not a facilitator or admin of the collective)."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.NOT_ALLOWED)


async def may_organise(session: AsyncSession, person: Actor, organiser: Actor) -> bool:
    """A resident organises for themself; a collective through its admins and facilitators."""
    if person.id == organiser.id:
        return True
    if not organiser.is_local or not organiser.is_group:
        return False
    role = await session.scalar(
        select(Membership.role).where(
            Membership.group_id == organiser.id,
            Membership.member_id == person.id,
            Membership.state == MEMBERSHIP_ACCEPTED,
        )
    )
    return role in MODERATOR_ROLES


async def organisers_for(session: AsyncSession, person: Actor) -> list[Actor]:
    """Whom a resident may organise for: themself, then the collectives they facilitate."""
    collectives = await session.scalars(
        select(Actor)
        .join(Membership, Membership.group_id == Actor.id)
        .where(
            Membership.member_id == person.id,
            Membership.state == MEMBERSHIP_ACCEPTED,
            Membership.role.in_(MODERATOR_ROLES),
            Actor.is_local.is_(True),
            Actor.is_gone.is_(False),
        )
        .order_by(Actor.name)
    )
    return [person, *collectives]


async def organiser_of(
    session: AsyncSession, person: Actor, actor_id: int, *, is_local: bool
) -> Actor:
    """The collective (or resident) ``actor_id`` that a thing of ours belongs to, when
    ``person`` may act for it; :class:`NotOrganiser` otherwise, or when the thing is another
    server's (``is_local`` false)."""
    organiser = await session.get(Actor, actor_id)
    if organiser is None or not is_local or not await may_organise(session, person, organiser):
        raise NotOrganiser()
    return organiser


async def require_organiser(session: AsyncSession, person: Actor, event: Event) -> Actor:
    return await organiser_of(session, person, event.actor_id, is_local=event.is_local)
