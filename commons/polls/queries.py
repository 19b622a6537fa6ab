"""The reads the polls' pages need: one poll with its answers, the listings (ours, then those
other quartiers sent), and what a resident chose."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Actor, Poll, PollOption, PollVote
from storage.models.polls import OPEN

LISTED = 100


@dataclass(frozen=True, slots=True)
class PollCard:
    """A poll with its collective and its answers, as a listing shows them."""

    poll: Poll
    collective: Actor
    options: list[PollOption]


async def poll_by_id(session: AsyncSession, poll_id: int) -> Poll | None:
    return await session.get(Poll, poll_id)


async def poll_by_uri(session: AsyncSession, uri: str) -> Poll | None:
    return await session.scalar(select(Poll).where(Poll.uri == uri))


async def answers_of(session: AsyncSession, poll: Poll) -> list[PollOption]:
    return list(
        await session.scalars(
            select(PollOption).where(PollOption.poll_id == poll.id).order_by(PollOption.position)
        )
    )


def _listing_order(card: PollCard) -> tuple[bool, float]:
    """The open ones first, the nearest deadline first; then the closed, newest first."""
    poll = card.poll
    if poll.status == OPEN:
        return False, poll.deadline.timestamp()
    return True, -poll.published.timestamp()


async def listed_polls(
    session: AsyncSession, *, is_local: bool, limit: int = LISTED
) -> list[PollCard]:
    """Ours (``is_local``) or those other quartiers sent."""
    rows = (
        await session.execute(
            select(Poll, Actor)
            .join(Actor, Actor.id == Poll.actor_id)
            .where(Poll.is_local.is_(is_local), Poll.deleted_at.is_(None), Actor.is_gone.is_(False))
            .order_by(Poll.id.desc())
            .limit(limit)
        )
    ).all()
    options: dict[int, list[PollOption]] = {poll.id: [] for poll, _ in rows}
    if options:
        for option in await session.scalars(
            select(PollOption)
            .where(PollOption.poll_id.in_(options))
            .order_by(PollOption.poll_id, PollOption.position)
        ):
            options[option.poll_id].append(option)
    cards = [PollCard(poll, collective, options[poll.id]) for poll, collective in rows]
    return sorted(cards, key=_listing_order)


async def choices_of(session: AsyncSession, poll: Poll, person: Actor) -> set[int]:
    """The positions of the answers ``person`` chose (empty when they have not voted)."""
    rows = await session.scalars(
        select(PollVote.position).where(
            PollVote.poll_id == poll.id, PollVote.voter_uri == person.uri
        )
    )
    return set(rows)
