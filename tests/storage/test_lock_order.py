"""On PostgreSQL, a lease renewal and a batch's outcomes lock the rows they share in one order
(their ids), so neither ever waits for a row the other holds: no deadlock to detect and retry."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.claims import claim_due, record_outcomes, renew_leases
from storage.database import Database
from storage.models import InboxItem, utcnow
from storage.models.queue import DONE, QUEUED
from tests.support import POSTGRES_URL_ENV, fresh_database, postgres_url, wait_until

pytestmark = pytest.mark.skipif(
    postgres_url() is None,
    reason=f"needs PostgreSQL (row locks between connections): set {POSTGRES_URL_ENV}",
)

# Stored in the reverse of their ids' order: a scan of the table meets the highest id first.
IDS = [3, 2, 1]


async def claimed_items(database: Database) -> dict[int, str]:
    now = utcnow()
    async with database.transaction() as session:
        for item_id in IDS:
            await session.execute(
                insert(InboxItem).values(
                    id=item_id,
                    activity_uri=f"https://remote.test/activities/{item_id}",
                    actor_uri="https://remote.test/users/alice",
                    activity_type="Create",
                    payload="{}",
                    state=QUEUED,
                    attempts=0,
                    next_attempt_at=now,
                    received_at=now,
                )
            )
    async with database.transaction() as session:
        claim = await claim_due(
            session, InboxItem, now=now, lease=timedelta(seconds=60), limit=10, worker_id="w"
        )
    return {row.id: claim.token for row in claim.rows}


async def backend_of(session: AsyncSession) -> int:
    return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)


async def test_a_renewal_and_a_batchs_outcomes_never_wait_on_each_other(tmp_path: Path) -> None:
    async with fresh_database("postgresql", tmp_path) as database:
        held = await claimed_items(database)
        assert sorted(held) == [1, 2, 3]
        backends: dict[str, int] = {}

        async def waits(name: str) -> bool:
            if name not in backends:
                return False
            async with database.session() as session:
                blockers = await session.scalar(
                    text("SELECT cardinality(pg_blocking_pids(:pid))"), {"pid": backends[name]}
                )
            return bool(blockers)

        async def write_outcomes() -> None:
            async with database.transaction() as session:
                backends["writer"] = await backend_of(session)
                outcomes = [{"id": i, "claim_token": held[i], "state": DONE} for i in IDS]
                await record_outcomes(session, InboxItem, outcomes)

        async def renew() -> set[int]:
            async with database.transaction() as session:
                backends["renewal"] = await backend_of(session)
                return await renew_leases(session, InboxItem, held, utcnow() + timedelta(minutes=1))

        # Given another transaction holding the middle row
        async with database.write_engine.connect() as other:
            await other.execute(text("SELECT id FROM inbox_items WHERE id = 2 FOR UPDATE"))

            # When a batch's outcomes are written for all three rows (given highest first),
            # and then a renewal of their leases starts, each waiting behind a lock
            writing = asyncio.create_task(write_outcomes())
            await wait_until(lambda: waits("writer"), "the outcomes waiting for the middle row")
            renewing = asyncio.create_task(renew())
            await wait_until(lambda: waits("renewal"), "the renewal waiting")
            await other.rollback()

        # Then both end, no deadlock detected: the outcomes are written, and the renewal,
        # which came second, finds the rows no longer held
        await asyncio.wait_for(writing, 30)
        assert await asyncio.wait_for(renewing, 30) == set()
        async with database.session() as session:
            rows = (await session.execute(select(InboxItem.state, InboxItem.claim_token))).all()
        assert sorted(rows) == [(DONE, None)] * 3
