"""What the federation health page shows: both queues by state, the hosts that fail, the
latest deliveries. Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Actor, Delivery, Host, InboxItem
from storage.models.queue import QUEUED

FAILING_HOSTS_SHOWN = 50
LATEST_DELIVERIES_SHOWN = 20


async def counts_by_state(
    session: AsyncSession, model: type[InboxItem] | type[Delivery]
) -> dict[str, int]:
    """How many rows of a queue (the inbox's or the deliveries') are in each state."""
    rows = await session.execute(select(model.state, func.count()).group_by(model.state))
    return {str(state): int(count) for state, count in rows}


async def queued_deliveries(session: AsyncSession) -> int:
    found = await session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.state == QUEUED)
    )
    return found or 0


async def failing_hosts(session: AsyncSession, now: datetime) -> Sequence[Host]:
    """Hosts that failed lately or are parked, the worst first."""
    return (
        await session.scalars(
            select(Host)
            .where(or_(Host.consecutive_failures > 0, Host.parked_until > now))
            .order_by(Host.consecutive_failures.desc(), Host.host)
            .limit(FAILING_HOSTS_SHOWN)
        )
    ).all()


async def latest_deliveries(session: AsyncSession) -> list[tuple[Delivery, str]]:
    """The latest deliveries and their senders' usernames, newest first."""
    rows = await session.execute(
        select(Delivery, Actor.username)
        .join(Actor, Actor.id == Delivery.sender_id)
        .order_by(Delivery.id.desc())
        .limit(LATEST_DELIVERIES_SHOWN)
    )
    return [(delivery, username) for delivery, username in rows]
