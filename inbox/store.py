"""Persisting received activities: one row per activity id, so a redelivery changes nothing.

Rows are written by group commit: concurrent requests put their row in a queue and one writer
inserts everything queued in one transaction, then wakes each request, which answers 202 only
once its row is committed. One commit per batch instead of one per request is what lets a single
process keep up with a busy inbox (SQLite has one writer; PostgreSQL pays a flush per commit).
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from federation.parsing import ParsedActivity
from storage.database import Database
from storage.models import InboxItem, utcnow
from storage.models.queue import QUEUED, origin_of

log = logging.getLogger(__name__)

MAX_BATCH = 256
ROWS_FOR_ANOTHER_WRITER = 8
"""Rows waiting before a second concurrent transaction starts (PostgreSQL): below it they wait
for the running one's next batch, so transactions are fewer and fuller."""
Pending = tuple[dict[str, Any], "asyncio.Future[bool]"]


class GroupCommit:
    """Batches inbox rows of one database; at most ``writers`` transactions at a time."""

    def __init__(self, database: Database, writers: int) -> None:
        self.database = database
        self.writers = writers
        self.loop = asyncio.get_running_loop()
        self._pending: list[Pending] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def writers_running(self) -> int:
        return len(self._tasks)

    async def insert(self, row: dict[str, Any]) -> bool:
        future: asyncio.Future[bool] = self.loop.create_future()
        self._pending.append((row, future))
        if not self._tasks or (
            len(self._tasks) < self.writers and len(self._pending) >= ROWS_FOR_ANOTHER_WRITER
        ):
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        try:
            await self._drain_pending()
        finally:
            # Leave the writer set before yielding to the loop again: a row queued after the
            # last check must find no writer here and start one, or it would wait forever.
            current = asyncio.current_task()
            if current is not None:
                self._tasks.discard(current)

    async def _drain_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                inserted = await self._write([row for row, _ in batch])
            except Exception:
                if len(batch) == 1:
                    _settle(batch, error=True)
                    continue
                # One bad row must not fail its neighbours: write them one by one.
                log.warning("inbox batch of %s failed; retrying row by row", len(batch))
                for pending in batch:
                    try:
                        _settle([pending], await self._write([pending[0]]))
                    except Exception as error:
                        _settle([pending], error=error)
                continue
            _settle(batch, inserted)

    async def _write(self, rows: list[dict[str, Any]]) -> set[str]:
        # A received row changes no page: the pages kept for visitors stay kept.
        if self.database.is_sqlite:
            return await self.database.write_batch(
                lambda connection: _insert_in(connection, rows), changes_pages=False
            )
        async with self.database.transaction(changes_pages=False) as session:
            return await insert_new_items(session, rows)


async def insert_new_items(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert ``rows``, skipping known activity ids; returns the ids inserted."""
    if not rows:
        return set()
    statement = _insert_skipping_known(session.get_bind().dialect.name)
    result = await session.execute(statement, rows)
    return set(result.scalars().all())


_INSERT_SKIPPING_KNOWN = (
    "INSERT INTO inbox_items (activity_uri, actor_uri, origin, activity_type, recipient_id,"
    " payload, state, attempts, next_attempt_at, received_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (activity_uri) DO NOTHING"
)
_KNOWN_AMONG = (
    "SELECT activity_uri FROM inbox_items WHERE activity_uri IN (SELECT value FROM json_each(?))"
)


def _insert_in(connection: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """:func:`insert_new_items` in a SQLite write transaction, through the driver's
    ``executemany``: SQLAlchemy's per-row work (defaults, bind processors, ``RETURNING`` rows)
    was half the writer's time on a busy inbox.

    The ids already known are read first; the transaction holds the write lock from its
    ``BEGIN IMMEDIATE``, so no other writer can add one between that read and the insert.
    """
    uris = [row["activity_uri"] for row in rows]
    known = connection.exec_driver_sql(_KNOWN_AMONG, (json.dumps(uris),))
    inserted = set(uris).difference(uri for (uri,) in known)
    dialect = connection.dialect
    as_stored = InboxItem.__table__.c.received_at.type.dialect_impl(dialect).bind_processor(dialect)
    assert as_stored is not None
    connection.exec_driver_sql(_INSERT_SKIPPING_KNOWN, [_values(row, as_stored) for row in rows])
    return inserted


def _values(row: dict[str, Any], as_stored: Callable[[Any], Any]) -> tuple[Any, ...]:
    """An :func:`inbox_row` as the parameters of ``_INSERT_SKIPPING_KNOWN``, its dates written
    as SQLAlchemy writes them (the queue compares them as text), its origin as the model's
    default computes it."""
    return (
        row["activity_uri"],
        row["actor_uri"],
        origin_of(row["actor_uri"] or ""),
        row["activity_type"],
        row["recipient_id"],
        row["payload"],
        row["state"],
        row["attempts"],
        as_stored(row["next_attempt_at"]),
        as_stored(row["received_at"]),
    )


def _insert_skipping_known(dialect: str) -> ReturningInsert[Any]:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # On the table, not the mapped class: the rows need none of the ORM's bulk bookkeeping.
    table = cast(Table, InboxItem.__table__)
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["activity_uri"])
        .returning(table.c.activity_uri)
    )


def inbox_row(
    activity: ParsedActivity, payload: str, recipient_id: int | None, now: datetime
) -> dict[str, Any]:
    """The queue row of a received activity, due at once."""
    return {
        "activity_uri": activity.id,
        "actor_uri": activity.actor_uri,
        "activity_type": activity.type[:64],
        "recipient_id": recipient_id,
        "payload": payload,
        "state": QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "received_at": now,
    }


def _settle(
    batch: list[Pending], inserted: set[str] | None = None, *, error: BaseException | bool = False
) -> None:
    """Wake each request: True for the first row of a new id, False for a duplicate."""
    seen: set[str] = set()
    for row, future in batch:
        if future.done():
            continue
        if error is not False:
            failure = error if isinstance(error, BaseException) else RuntimeError("insert failed")
            future.set_exception(failure)
            continue
        uri = row["activity_uri"]
        future.set_result(inserted is not None and uri in inserted and uri not in seen)
        seen.add(uri)


_writers: weakref.WeakKeyDictionary[Database, GroupCommit] = weakref.WeakKeyDictionary()


def _writer_for(database: Database) -> GroupCommit:
    writer = _writers.get(database)
    if writer is None or writer.loop is not asyncio.get_running_loop():
        writer = GroupCommit(database, writers=1 if database.is_sqlite else 4)
        _writers[database] = writer
    return writer


async def store_inbox_item(
    database: Database, activity: ParsedActivity, body: bytes, recipient_id: int | None
) -> bool:
    """True when the activity is new; False for a redelivery of a known id.

    Returns once the row is committed (with the rows of concurrent requests).
    """
    row = inbox_row(activity, body.decode("utf-8", errors="replace"), recipient_id, utcnow())
    return await _writer_for(database).insert(row)
