"""Who is told of what about polls: each of our residents who voted in one (ours or another
quartier's) hears when it closes, once, with its results to read."""

from __future__ import annotations

from sqlalchemy import insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Actor, Notification, Poll, PollVote


async def tell_voters_of_close(session: AsyncSession, poll: Poll) -> None:
    """A notification to each of our residents who voted in ``poll`` (one whatever the number
    of answers they chose)."""
    await session.execute(
        insert(Notification).from_select(
            ["recipient_id", "kind", "from_actor_id", "group_id"],
            select(PollVote.voter_id, literal("poll_closed"), literal(poll.actor_id),
                   literal(poll.actor_id))
            .join(Actor, Actor.id == PollVote.voter_id)
            .where(PollVote.poll_id == poll.id, Actor.is_local.is_(True))
            .distinct(),
        )
    )  # fmt: skip
