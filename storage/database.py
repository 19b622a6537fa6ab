"""Engines and sessions for SQLite (embedded default) and PostgreSQL (the path to scale).

SQLite allows one writer at a time. Writing sessions therefore go through a dedicated engine
whose single connection opens every transaction with ``BEGIN IMMEDIATE``: writers queue in the
pool instead of failing with ``database is locked`` when a read transaction upgrades. Reads use
their own pool and, in WAL mode, never wait for the writer. Their connections are read-only
(``PRAGMA query_only``) and run each statement on its own snapshot, without ``BEGIN``: a page
reads a few independent things, and the round trips a transaction costs on every page are
better spent elsewhere. PostgreSQL reads the same way: the reading pool's connections are
read-only (``default_transaction_read_only``) and in autocommit, so a page's read is one round
trip, where BEGIN, the statement and the ROLLBACK of its return to the pool were three (and
the liveness check at checkout three more).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

T = TypeVar("T")
READ_POOL_SIZE = 16
"""PostgreSQL connections kept open for reading: one per page a busy process builds at once, so
that a burst of pages does not open and close connections (asyncpg's connect, TLS attempt
included, costs more than the page's read); four more at the busiest. With the twenty of
writing, at most 40 per process."""
READ_POOL_OVERFLOW = 4
READ_ONLY = {"default_transaction_read_only": "on"}


class Database:
    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            if make_url(url).database in (None, "", ":memory:"):
                raise ValueError("an in-memory SQLite database cannot be shared; use a file")
            _ensure_sqlite_folder(url)
            self.engine = _sqlite_engine(url, echo=echo, pool_size=4, writer=False)
            self.write_engine = _sqlite_engine(url, echo=echo, pool_size=1, writer=True)
            self._loop_engine: Engine | None = _sqlite_loop_engine(url, echo=echo)
            self.loop_reader: sessionmaker[Session] | None = sessionmaker(
                self._loop_engine, expire_on_commit=False
            )
            """A synchronous, read-only session that runs on the event loop itself, for the one
            short read by key that every page makes (who is signed in): it costs no round trip
            to the driver's thread, of which aiosqlite makes five or six per statement (0.8 ms
            for ``SELECT 1`` on a small machine, the read itself 0.05 ms). In WAL mode a reader
            never waits for the writer, so it does not hold up the loop. None on PostgreSQL."""
            self.batch_engine: Engine | None = _sqlite_batch_engine(url, echo=echo)
            self._batch_thread: ThreadPoolExecutor | None = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="sqlite-batches"
            )
        else:
            search_path = {"search_path": schema} if schema else {}
            self.write_engine = create_async_engine(
                url,
                echo=echo,
                pool_size=10,
                max_overflow=10,
                pool_pre_ping=True,
                connect_args={"server_settings": search_path},
            )
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_size=READ_POOL_SIZE,
                max_overflow=READ_POOL_OVERFLOW,
                pool_pre_ping=True,
                isolation_level="AUTOCOMMIT",
                connect_args={"server_settings": {**search_path, **READ_ONLY}},
            )
            self._loop_engine = None
            self.loop_reader = None
            self.batch_engine = None
            self._batch_thread = None
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self.commits = 0
        """How many transactions of this process committed: what this process may have changed
        since a moment (:mod:`webui.visitor_pages` keeps pages while it stays the same)."""
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reading (no commit is made)."""
        async with self._reader() as session:
            yield session

    @asynccontextmanager
    async def transaction(self, *, changes_pages: bool = True) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any error.

        ``changes_pages=False`` for bookkeeping no page shows (a session's last use): it does
        not count in :attr:`commits`, so the pages kept meanwhile stay kept."""
        async with self._write_turn(), self._writer() as session, session.begin():
            yield session
        if changes_pages:
            self.commits += 1

    def _write_turn(self) -> AbstractAsyncContextManager[object]:
        """On SQLite, this process's writers (:meth:`transaction` and :meth:`write_batch`, two
        connections) take turns first come, first served. Without it, one waiting for the
        other's lock would wait in SQLite's busy handler, which sleeps up to 100 ms between
        tries and serves nobody in order: a batch of received activities waited up to half a
        second behind the queue workers' transactions. PostgreSQL needs no turn."""
        if not self.is_sqlite:
            return nullcontext()
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Lock())
        return self._turns[1]

    async def write_batch(
        self, work: Callable[[Connection], T], *, changes_pages: bool = True
    ) -> T:
        """Run ``work`` in one SQLite transaction, whole, on a thread of its own: one round trip
        from the loop, where :meth:`transaction` pays five or six per statement.

        For a short, self-contained batch of writes (the inbox's group commit), not for work
        that reads what it writes across awaits. It takes its turn among this process's writers,
        then the database's write lock like any writer (``BEGIN IMMEDIATE``, waiting up to the
        busy timeout for other processes). SQLite only.
        """
        if self.batch_engine is None or self._batch_thread is None:
            raise RuntimeError("write_batch is for SQLite; use transaction()")
        engine = self.batch_engine

        def run() -> T:
            with engine.begin() as connection:
                return work(connection)

        async with self._write_turn():
            result = await asyncio.get_running_loop().run_in_executor(self._batch_thread, run)
        if changes_pages:
            self.commits += 1
        return result

    async def dispose(self) -> None:
        if self.batch_engine is not None and self._batch_thread is not None:
            self._batch_thread.submit(self.batch_engine.dispose).result()
        if self._loop_engine is not None:
            self._loop_engine.dispose()
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()


def _ensure_sqlite_folder(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(url: str, *, echo: bool, pool_size: int, writer: bool) -> AsyncEngine:
    engine = create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=0, connect_args={"timeout": 30}
    )
    _set_up_sqlite_connections(engine.sync_engine, writer=writer)
    return engine


def _one_stdlib_connection(url: str, *, echo: bool, timeout: float) -> Engine:
    """An engine of one connection through the standard library's ``sqlite3``, usable from
    another thread than the one that opened it."""
    return create_engine(
        make_url(url).set(drivername="sqlite"),
        echo=echo,
        pool_size=1,
        max_overflow=0,
        connect_args={"timeout": timeout, "check_same_thread": False},
    )


def _sqlite_batch_engine(url: str, *, echo: bool) -> Engine:
    """The engine of :meth:`Database.write_batch`: the standard library's driver, one writing
    connection used from one thread, every transaction opened with ``BEGIN IMMEDIATE``."""
    engine = _one_stdlib_connection(url, echo=echo, timeout=30)
    _set_up_sqlite_connections(engine, writer=True)
    return engine


def _set_up_sqlite_connections(engine: Engine, *, writer: bool) -> None:
    """WAL, foreign keys and a busy timeout on every connection; a writer's transactions take
    the write lock at once (``BEGIN IMMEDIATE``), a reader's connection cannot write."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not writer:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    if writer:

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_loop_engine(url: str, *, echo: bool) -> Engine:
    """The engine of :attr:`Database.loop_reader`: the standard library's driver, one read-only
    connection (its reads never await, so they never overlap)."""
    engine = _one_stdlib_connection(url, echo=echo, timeout=2)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # should it connect first to a new file
        cursor.execute("PRAGMA query_only=ON")
        cursor.execute("PRAGMA busy_timeout=2000")
        cursor.close()

    return engine
