"""Where the reading of each federated neighbour's recent past stands (:mod:`inbox.backfill`
reads it): started when federation begins, shown on the admin's federation page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Actor, Backfill, utcnow
from storage.models.queue import QUEUED


async def start_backfill(session: AsyncSession, neighbour: Actor) -> Backfill:
    """Read ``neighbour``'s recent public activities from the start; one that is being read
    goes on where it stands. What was read before is not stored twice."""
    row = await session.scalar(select(Backfill).where(Backfill.neighbour_id == neighbour.id))
    if row is not None and row.state == QUEUED:
        return row
    now = utcnow()
    if row is None:
        row = Backfill(neighbour_id=neighbour.id)
        session.add(row)
    row.state = QUEUED
    row.next_page_uri = None
    row.items_done = row.items_skipped = row.pages_read = row.attempts = 0
    row.next_attempt_at = row.started_at = now
    row.locked_until = row.claim_token = row.failure = row.last_error = None
    row.finished_at = None
    await session.flush()
    return row


async def backfills_by_neighbour(session: AsyncSession) -> dict[int, Backfill]:
    """Every neighbour's reading, by the id of its instance actor."""
    return {row.neighbour_id: row for row in await session.scalars(select(Backfill))}
