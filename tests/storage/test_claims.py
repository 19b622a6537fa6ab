"""Claiming queue rows: the rows a claim returns carry its lease, written once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, insert, inspect, select

from storage.claims import claim_due
from storage.database import Database
from storage.models import InboxItem, utcnow
from storage.models.queue import QUEUED


async def test_a_claim_writes_its_lease_in_one_statement_and_nothing_at_commit(
    database: Database,
) -> None:
    # Given three received activities, due
    now = utcnow()
    async with database.transaction() as session:
        await session.execute(
            insert(InboxItem),
            [
                {
                    "activity_uri": f"https://remote.test/activities/{number}",
                    "actor_uri": f"https://remote.test/users/u{number}",
                    "activity_type": "Create",
                    "payload": "{}",
                    "state": QUEUED,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "received_at": now,
                }
                for number in range(3)
            ],
        )
    updates: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            updates.append(statement)

    engine = database.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    # When a worker claims them
    try:
        async with database.transaction() as session:
            claim = await claim_due(
                session, InboxItem, now=now, lease=timedelta(seconds=60), limit=10, worker_id="w"
            )
            # Then the rows it returns hold the claim, as the database does, with nothing
            # left for the session to write again
            assert [row.claim_token for row in claim.rows] == [claim.token] * 3
            assert all(not inspect(row).modified for row in claim.rows)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(updates) == 1
    async with database.session() as session:
        tokens = set(await session.scalars(select(InboxItem.claim_token)))
        leases = set(await session.scalars(select(InboxItem.locked_until)))
    assert tokens == {claim.token}
    assert leases == {now + timedelta(seconds=60)}
