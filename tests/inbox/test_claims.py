"""One claim of received activities, as the inbox worker makes it: at most its limit, the
earliest due first, within the conditions the worker adds (origins at their share)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from inbox.claims import Due, claim_runs, read_through_indexes
from storage.database import Database
from storage.models import InboxItem, utcnow
from storage.models.queue import QUEUED
from tests.support import POSTGRES_URL_ENV, fresh_database, postgres_url

NOW = utcnow()
LEASE = timedelta(minutes=1)


def take_all(items: list[Due]) -> list[Due]:
    return items


async def given_queued(database: Database, *due_seconds_ago: int) -> None:
    """One item per sender, ``a``, ``b``, ``c``… in that order of id, each due that many
    seconds ago; senders ``a`` and ``b`` on one server, the others on another."""
    rows = []
    for index, ago in enumerate(due_seconds_ago):
        name = "abcdefgh"[index]
        host = "near.test" if index < 2 else "far.test"
        rows.append(
            {
                "activity_uri": f"http://{host}/{name}/follow",
                "actor_uri": f"http://{host}/{name}",
                "origin": f"http://{host}",
                "activity_type": "Follow",
                "payload": "{}",
                "state": QUEUED,
                "attempts": 0,
                "next_attempt_at": NOW - timedelta(seconds=ago),
                "received_at": NOW - timedelta(seconds=60),
            }
        )
    async with database.transaction() as session:
        await session.execute(insert(InboxItem), rows)


async def claim(database: Database, limit: int, **conditions: object) -> list[str]:
    async with database.transaction() as session:
        taken = await claim_runs(
            session, now=NOW, lease=LEASE, limit=limit, choose=take_all, **conditions
        )
    assert isinstance(taken.token, str) and taken.token
    return [item.actor_uri.rsplit("/", 1)[1] for item in taken.rows]


async def test_a_claim_takes_at_most_its_limit_the_earliest_due_first(database: Database) -> None:
    # Given four senders' items, the later ones in arrival due earlier (retries come back
    # later than new items)
    await given_queued(database, 10, 20, 40, 30)
    # When a claim has room for two
    # Then it takes the two due the longest, in the order they fell due
    assert await claim(database, limit=2) == ["c", "d"]
    # And the next claim takes the two others
    assert await claim(database, limit=5) == ["b", "a"]


async def test_a_claim_with_room_for_one_takes_one_and_without_room_none(
    database: Database,
) -> None:
    await given_queued(database, 3, 2, 1)
    assert await claim(database, limit=0) == []
    assert await claim(database, limit=-1) == []
    assert await claim(database, limit=1) == ["a"]


async def test_a_claim_leaves_what_the_workers_conditions_leave(database: Database) -> None:
    # Given items of two servers, and a worker whose share of the first server is full
    await given_queued(database, 4, 3, 2, 1)
    # When it claims past that server
    taken = await claim(database, limit=10, extra=[InboxItem.origin != "http://near.test"])
    # Then only the other server's items are taken
    assert taken == ["c", "d"]


async def test_a_claim_leases_its_items_to_its_worker_under_its_token(database: Database) -> None:
    # Given two queued items
    await given_queued(database, 2, 1)
    # When a worker claims them
    async with database.transaction() as session:
        taken = await claim_runs(
            session, now=NOW, lease=LEASE, limit=5, choose=take_all, worker_id="worker-7"
        )
    # Then each is leased until the lease ends, to that worker, under the claim's token
    assert [(item.locked_by, item.claim_token) for item in taken.rows] == [
        ("worker-7", taken.token)
    ] * 2
    assert all(item.locked_until == NOW + LEASE for item in taken.rows)


async def test_a_claim_leases_only_what_is_still_due_when_it_takes_it(
    database: Database,
) -> None:
    # Given an item due now, and one that was read as due but has been handled meanwhile by
    # another worker and put back for a retry in ten minutes
    await given_queued(database, 2, -600)

    def also_the_retried_one(items: list[Due]) -> list[Due]:
        retried = Due(
            1 + max(item.id for item in items),
            "http://near.test/b",
            "http://near.test",
            "Follow",
        )
        return [*items, retried]

    # When a worker's choice holds both
    async with database.transaction() as session:
        taken = await claim_runs(
            session, now=NOW, lease=LEASE, limit=5, choose=also_the_retried_one
        )

    # Then only the item due is leased: the retry waits for its time
    assert [item.actor_uri for item in taken.rows] == ["http://near.test/a"]


@pytest.mark.skipif(
    postgres_url() is None,
    reason=f"the planner's settings are PostgreSQL's: set {POSTGRES_URL_ENV}",
)
async def test_a_claim_reads_through_indexes_for_its_own_transaction_only(tmp_path: Path) -> None:
    async with fresh_database("postgresql", tmp_path) as database:
        show = select(
            func.current_setting("enable_seqscan"),
            func.current_setting("enable_bitmapscan"),
            func.pg_backend_pid(),
        )
        # Within a claim's transaction, neither a scan of the table nor a bitmap is planned
        async with database.transaction() as session:
            await read_through_indexes(session)
            seqscan, bitmapscan, connection = (await session.execute(show)).one()
            assert (seqscan, bitmapscan) == ("off", "off")
        # And the transactions after it plan as they like again (the pool hands out the same
        # connection: a setting for the session would have stayed)
        async with database.transaction() as session:
            assert (await session.execute(show)).one() == ("on", "on", connection)
