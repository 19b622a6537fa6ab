"""The database layer: SQLite pragmas, UTC datetimes, and writers that queue instead of failing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, event, func, insert, literal_column, select
from sqlalchemy.exc import OperationalError, StatementError

from storage import migrate
from storage.database import Database
from storage.models import DomainBlock, utcnow

ZURICH = ZoneInfo("Europe/Zurich")


@pytest.mark.parametrize("engine_name", ["engine", "write_engine"])
async def test_sqlite_runs_in_wal_mode_with_foreign_keys(
    sqlite_database: Database, engine_name: str
) -> None:
    # Given a connection from the reading or the writing engine
    engine = getattr(sqlite_database, engine_name)
    async with engine.connect() as connection:
        # When the pragmas are read
        journal_mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        busy_timeout = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()

    # Then WAL, foreign keys and a busy timeout are on
    assert journal_mode == "wal"
    assert foreign_keys == 1
    assert busy_timeout == 30000


async def test_utc_datetimes_round_trip_timezone_aware(database: Database) -> None:
    # Given a datetime written in another time zone, on the night the clocks change
    written = datetime(2024, 3, 31, 3, 30, 15, 123456, tzinfo=ZURICH)
    async with database.transaction() as session:
        session.add(DomainBlock(domain="spam.example", created_at=written))

    # When it is read back in a new session
    async with database.session() as session:
        read = await session.scalar(
            select(DomainBlock.created_at).where(DomainBlock.domain == "spam.example")
        )

    # Then it is the same instant, aware, in UTC
    assert read is not None
    assert read.tzinfo is UTC
    assert read == written
    assert read == datetime(2024, 3, 31, 1, 30, 15, 123456, tzinfo=UTC)


async def test_a_naive_datetime_is_refused(database: Database) -> None:
    # When a datetime without a time zone is written
    # Then nothing is stored: the column would not know which instant it means
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.transaction() as session:
            session.add(DomainBlock(domain="spam.example", created_at=datetime(2024, 1, 1)))
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(DomainBlock)) == 0


async def read_then_write(database: Database, domain: str, pause: float) -> None:
    """The pattern that makes SQLite say "database is locked": read, wait, then write."""
    async with database.transaction() as session:
        await session.scalar(select(func.count()).select_from(DomainBlock))
        await asyncio.sleep(pause)
        session.add(DomainBlock(domain=domain))


async def test_two_concurrent_writers_on_sqlite_both_commit(sqlite_database: Database) -> None:
    # When two transactions read then write at the same time, through the same Database
    await asyncio.gather(
        read_then_write(sqlite_database, "one.example", 0.05),
        read_then_write(sqlite_database, "two.example", 0.05),
    )

    # Then both are committed
    async with sqlite_database.session() as session:
        domains = (await session.scalars(select(DomainBlock.domain).order_by("domain"))).all()
    assert domains == ["one.example", "two.example"]


async def test_a_batch_written_on_its_thread_waits_for_an_open_write_and_commits(
    sqlite_database: Database,
) -> None:
    # Given a transaction of the loop's writer that holds the write lock for a moment
    holding = asyncio.ensure_future(read_then_write(sqlite_database, "one.example", 0.2))
    await asyncio.sleep(0.05)

    # When a batch is written on its own thread meanwhile
    def add_block(connection: Connection) -> str:
        connection.execute(insert(DomainBlock).values(domain="two.example", created_at=utcnow()))
        return "written"

    outcome = await sqlite_database.write_batch(add_block)
    await holding

    # Then it waited for the lock instead of failing, and both are committed
    assert outcome == "written"
    async with sqlite_database.session() as session:
        domains = (await session.scalars(select(DomainBlock.domain).order_by("domain"))).all()
    assert domains == ["one.example", "two.example"]


async def test_this_processs_writers_take_turns_first_come_first_served(
    sqlite_database: Database,
) -> None:
    # Given a transaction holding the write lock, a batch waiting for it, then a transaction
    async def hold(name: str, pause: float) -> None:
        async with sqlite_database.transaction() as session:
            session.add(DomainBlock(domain=f"{name}.example"))
            await session.flush()
            await asyncio.sleep(pause)

    def add_batch(connection: Connection) -> None:
        connection.execute(insert(DomainBlock).values(domain="batch.example", created_at=utcnow()))

    async def batch() -> None:
        await sqlite_database.write_batch(add_batch)

    first = asyncio.ensure_future(hold("first", 0.1))
    await asyncio.sleep(0.02)
    waiting_batch = asyncio.ensure_future(batch())
    await asyncio.sleep(0.02)
    last = asyncio.ensure_future(hold("last", 0))

    # When they are done
    await asyncio.gather(first, waiting_batch, last)

    # Then they wrote in the order they came: the batch did not wait in SQLite's busy handler
    # while the later transaction took the lock (SQLite numbers rows in the order written;
    # the order in which the three coroutines resume afterwards is the event loop's own)
    async with sqlite_database.session() as session:
        written = (
            await session.scalars(select(DomainBlock.domain).order_by(literal_column("rowid")))
        ).all()
    assert written == ["first.example", "batch.example", "last.example"]


async def test_a_batch_that_fails_writes_nothing(sqlite_database: Database) -> None:
    # When a batch fails after its first write
    def half_then_fail(connection: Connection) -> None:
        connection.execute(insert(DomainBlock).values(domain="one.example", created_at=utcnow()))
        raise RuntimeError("the rest could not be written")

    with pytest.raises(RuntimeError, match="could not be written"):
        await sqlite_database.write_batch(half_then_fail)

    # Then its first write is rolled back with it
    async with sqlite_database.session() as session:
        assert await session.scalar(select(func.count()).select_from(DomainBlock)) == 0


async def test_a_batch_that_changes_no_page_keeps_the_kept_pages(sqlite_database: Database) -> None:
    # Given the count of commits that pages kept for visitors compare against
    before = sqlite_database.commits

    # When one batch changes no page and another does
    def add_block(connection: Connection) -> None:
        connection.execute(insert(DomainBlock).values(domain="one.example", created_at=utcnow()))

    await sqlite_database.write_batch(add_block, changes_pages=False)
    after_bookkeeping = sqlite_database.commits
    await sqlite_database.write_batch(lambda connection: None)

    # Then only the second counts
    assert after_bookkeeping == before
    assert sqlite_database.commits == before + 1


async def test_two_processes_writing_to_one_sqlite_file_both_commit(tmp_path: Path) -> None:
    # Given two Database objects on one file, as `quartiers serve` and a CLI command have
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite'}"
    first, second = Database(url), Database(url)
    first_holds_the_lock, second_has_a_connection = asyncio.Event(), asyncio.Event()
    seen_by_second: list[int | None] = []

    def announce_checkout(*_: object) -> None:
        second_has_a_connection.set()

    # (the second's BEGIN IMMEDIATE follows its checkout without giving the loop a turn)
    pool = second.write_engine.sync_engine.pool
    event.listen(pool, "checkout", announce_checkout)
    try:
        await migrate.upgrade(first)

        # When the second begins its transaction while the first holds the write lock, and
        # the first writes and commits only after that
        async def first_writer() -> None:
            async with first.transaction() as session:
                await session.scalar(select(func.count()).select_from(DomainBlock))
                first_holds_the_lock.set()
                await second_has_a_connection.wait()
                session.add(DomainBlock(domain="one.example"))

        async def second_writer() -> None:
            await first_holds_the_lock.wait()
            async with second.transaction() as session:
                seen = await session.scalar(select(func.count()).select_from(DomainBlock))
                seen_by_second.append(seen)
                session.add(DomainBlock(domain="two.example"))

        await asyncio.gather(first_writer(), second_writer())

        # Then the second waited for the first instead of failing: its transaction began
        # after the first had committed, so it saw the first's row, and both rows are there
        # (the order in which the two coroutines resume afterwards is the event loop's own)
        assert seen_by_second == [1]
        async with second.session() as session:
            count = await session.scalar(select(func.count()).select_from(DomainBlock))
        assert count == 2
    finally:
        event.remove(pool, "checkout", announce_checkout)
        await first.dispose()
        await second.dispose()


async def test_reading_does_not_wait_for_an_open_write(sqlite_database: Database) -> None:
    # Given a write transaction holding the write lock until a reader has answered
    order: list[str] = []
    lock_held, reader_answered = asyncio.Event(), asyncio.Event()

    async def write() -> None:
        async with sqlite_database.transaction() as writer:
            writer.add(DomainBlock(domain="pending.example"))
            await writer.flush()
            lock_held.set()
            await reader_answered.wait()
        order.append("write committed")

    # When another session reads meanwhile
    async def read() -> int | None:
        await lock_held.wait()
        async with sqlite_database.session() as reader:
            seen = await reader.scalar(select(func.count()).select_from(DomainBlock))
        order.append("read answered")
        reader_answered.set()
        return seen

    # (a reader that waited for the writer would wait forever: the guard turns that into a
    # failure instead of a hung run; it measures nothing)
    _, seen = await asyncio.wait_for(asyncio.gather(write(), read()), timeout=120)

    # Then the read answered while the write was still open, without the uncommitted row
    assert order == ["read answered", "write committed"]
    assert seen == 0


async def test_a_reading_session_on_sqlite_cannot_write(sqlite_database: Database) -> None:
    # Given a session for reading, which runs without a transaction of its own
    async with sqlite_database.session() as reader:
        # When something is written through it by mistake
        reader.add(DomainBlock(domain="by-mistake.example"))
        # Then SQLite refuses, rather than commit it behind the caller's back
        with pytest.raises(OperationalError, match="readonly"):
            await reader.flush()
    async with sqlite_database.session() as reader:
        assert await reader.scalar(select(func.count()).select_from(DomainBlock)) == 0
