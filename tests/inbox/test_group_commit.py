"""Group commit: every queued row is written, even one queued right after a batch ends."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, func, select, text

from inbox.store import ROWS_FOR_ANOTHER_WRITER, GroupCommit
from storage.database import Database
from storage.models import InboxItem, utcnow
from storage.models.queue import QUEUED


def row(uri: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "activity_uri": uri,
        "actor_uri": "http://remote.test/@a",
        "activity_type": "Create",
        "recipient_id": None,
        "payload": "{}",
        "state": QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "received_at": now,
    }


async def test_rows_queued_at_every_turn_through_several_batches_are_all_written(
    database: Database,
) -> None:
    # Given a writer busy with a first row
    writer = GroupCommit(database, writers=1)
    pending = [asyncio.ensure_future(writer.insert(row("http://remote.test/0")))]
    # When a row is queued at every turn of the loop, through several batches, so that one
    # lands between the writer's last look at its queue and the end of its task
    step = 0
    while sum(f.done() for f in pending) < 30 and step < 20_000:
        step += 1
        await asyncio.sleep(0)
        pending.append(asyncio.ensure_future(writer.insert(row(f"http://remote.test/{step}"))))
    # Then every row is written, none left waiting for a writer that is gone
    results = await asyncio.wait_for(asyncio.gather(*pending), timeout=10)
    assert all(results)
    async with database.session() as session:
        count = await session.scalar(select(func.count()).select_from(InboxItem))
    assert count == len(pending)


async def test_concurrent_rows_share_batches(database: Database) -> None:
    # Given a writer, and a count of the transactions the database commits
    writer = GroupCommit(database, writers=1)
    commits: list[object] = []
    # (SQLite writes the batches on a connection of their own, PostgreSQL in a session)
    engine = database.batch_engine or database.write_engine.sync_engine

    def count_commit(connection: object) -> None:
        commits.append(connection)

    event.listen(engine, "commit", count_commit)
    try:
        # When a hundred requests arrive together, each id twice
        results = await asyncio.gather(
            *(writer.insert(row(f"http://remote.test/{i % 50}")) for i in range(100))
        )
    finally:
        event.remove(engine, "commit", count_commit)

    # Then they were written in one transaction, each id once, duplicates told apart
    assert len(commits) == 1
    assert sum(results) == 50
    async with database.session() as session:
        count = await session.scalar(select(func.count()).select_from(InboxItem))
    assert count == 50


async def test_received_rows_leave_the_pages_kept_for_visitors_kept(database: Database) -> None:
    # Given the count of commits that pages kept for visitors compare against
    before = database.commits
    # When activities are received and stored
    writer = GroupCommit(database, writers=1)
    await asyncio.gather(*(writer.insert(row(f"http://remote.test/{i}")) for i in range(3)))
    # Then no kept page is dropped: a received activity changes no page until it is handled
    assert database.commits == before


async def test_a_second_writer_starts_only_once_enough_rows_wait(database: Database) -> None:
    # Given a writer allowed four transactions at once, whose first batch is held up
    writer = GroupCommit(database, writers=4)
    release = asyncio.Event()
    write = writer._write

    async def held_write(rows: list[dict[str, Any]]) -> set[str]:
        await release.wait()
        return await write(rows)

    writer._write = held_write  # type: ignore[method-assign]
    first = asyncio.ensure_future(writer.insert(row("http://remote.test/first")))
    await asyncio.sleep(0)
    # When fewer rows than ROWS_FOR_ANOTHER_WRITER arrive meanwhile
    waiting = [
        asyncio.ensure_future(writer.insert(row(f"http://remote.test/{n}")))
        for n in range(ROWS_FOR_ANOTHER_WRITER - 1)
    ]
    await asyncio.sleep(0)
    # Then they wait for the running transaction's next batch
    assert writer.writers_running == 1
    # And one more row starts a second transaction
    waiting.append(asyncio.ensure_future(writer.insert(row("http://remote.test/one-more"))))
    await asyncio.sleep(0)
    assert writer.writers_running == 2
    release.set()
    assert all(await asyncio.gather(first, *waiting))


async def test_an_id_stored_by_an_earlier_batch_is_told_apart_from_new_ones(
    database: Database,
) -> None:
    # Given an activity already stored
    writer = GroupCommit(database, writers=1)
    assert await writer.insert(row("http://remote.test/known")) is True

    # When it arrives again, together with two new ones
    results = await asyncio.gather(
        *(writer.insert(row(f"http://remote.test/{name}")) for name in ("a", "known", "b"))
    )

    # Then only the new ones are said new, and the known one is stored once
    assert results == [True, False, True]
    async with database.session() as session:
        count = await session.scalar(select(func.count()).select_from(InboxItem))
    assert count == 3


async def test_a_row_written_by_the_group_commit_reads_as_one_the_model_writes(
    database: Database,
) -> None:
    # Given a received row, and the same row written through the model, at a whole second
    # (where a date's text is easiest to get wrong)
    moment = utcnow().replace(microsecond=0)
    received = {**row("http://remote.test/received"), "next_attempt_at": moment}
    received["received_at"] = moment
    async with database.transaction() as session:
        modelled = {**received, "activity_uri": "http://remote.test/modelled"}
        session.add(InboxItem(**modelled))

    # When the group commit writes the received one
    await GroupCommit(database, writers=1).insert(received)

    # Then both read back alike, down to the stored text of their dates (the queue compares
    # them in SQL) and the origin the model computes from the actor
    columns = "origin, state, attempts, next_attempt_at, received_at, locked_until, payload"
    async with database.session() as session:
        stored = (
            await session.execute(
                text(f"SELECT activity_uri, {columns} FROM inbox_items ORDER BY activity_uri")
            )
        ).all()
    assert tuple(stored[0][1:]) == tuple(stored[1][1:])
    assert stored[0][1] == "http://remote.test"
