"""``kill -9`` of a real ``quartiers worker`` in the middle of its deliveries: a second worker
takes the rows once the short lease has run out, and every inbox gets the activity."""

from __future__ import annotations

import asyncio
import secrets
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storage import migrate
from storage.database import Database
from storage.models.queue import DELIVERED, QUEUED
from tests.outbox.outbox_support import create_sender, deliveries, enqueue
from tests.quartiers.cli_support import free_port, quartiers_env
from tests.support import TEST_SECRET, postgres_url, wait_until

ROWS = 5
LEASE_SECONDS = 2


class Sink:
    """Counts every POST by path; holds the answers while ``holding``, then answers 202."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.answer = asyncio.Event()

    def app(self) -> Starlette:
        async def inbox(request: Request) -> Response:
            await request.body()
            self.received.append(request.url.path)
            await self.answer.wait()
            return Response(status_code=202)

        return Starlette(routes=[Route("/{path:path}", inbox, methods=["POST"])])


@asynccontextmanager
async def sink_on(port: int) -> AsyncIterator[Sink]:
    sink = Sink()
    config = uvicorn.Config(
        sink.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return server.started

        await wait_until(started, "the sink listening")
        yield sink
    finally:
        sink.answer.set()
        server.should_exit = True
        await serving


@asynccontextmanager
async def worker_database(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database a subprocess can reach by URL alone (a database of its own on
    PostgreSQL, since the URL cannot name a schema)."""
    if kind == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'worker.sqlite'}")
        try:
            await migrate.upgrade(database)
            yield database
        finally:
            await database.dispose()
        return
    url = postgres_url()
    assert url is not None
    name = f"t_crash_{secrets.token_hex(6)}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(url.rsplit("/", 1)[0] + f"/{name}")
    try:
        await migrate.upgrade(database)
        yield database
    finally:
        await database.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


def write_config(folder: Path, database_url: str) -> Path:
    path = folder / "config.toml"
    path.write_text(
        f"""[server]
domain = "paquis.test"
scheme = "http"

[database]
url = "{database_url}"

[federation]
allow_private_addresses = true
per_host_concurrency = {ROWS}
lease_seconds = {LEASE_SECONDS}

[webui]
secret_key = "{TEST_SECRET}"
""",
        encoding="utf-8",
    )
    return path


async def start_worker(folder: Path, config: Path) -> asyncio.subprocess.Process:
    log = (folder / "worker.log").open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "quartiers.cli",
        "worker",
        "--config",
        str(config),
        cwd=folder,
        env=quartiers_env(),
        stdout=log,
        stderr=log,
    )


async def test_a_killed_worker_s_deliveries_are_taken_by_another_after_the_lease(
    tmp_path: Path, database_kind: str
) -> None:
    port = free_port()
    async with worker_database(database_kind, tmp_path) as database, sink_on(port) as sink:
        # Given five deliveries to a server that holds its answers, and a configuration with
        # a lease of two seconds
        sender = await create_sender(database)
        inboxes = [f"http://127.0.0.1:{port}/users/u{n}/inbox" for n in range(ROWS)]
        activity_id = await enqueue(database, sender, inboxes)
        config = write_config(tmp_path, database.url)

        # When a real `quartiers worker` has sent all five and is killed with SIGKILL
        first = await start_worker(tmp_path, config)
        processes: list[asyncio.subprocess.Process] = [first]
        try:

            async def all_sent() -> bool:
                return len(sink.received) == ROWS

            await wait_until(all_sent, "the first worker's five POSTs")
            first.send_signal(signal.SIGKILL)
            assert await first.wait() == -signal.SIGKILL

            # Then its rows are still queued, claimed under its lease
            held = await deliveries(database)
            assert {(row.state, row.attempts) for row in held} == {(QUEUED, 0)}
            assert all(row.claim_token and row.locked_until for row in held)
            lease_ends = max(row.locked_until for row in held if row.locked_until)

            # When the server answers again and a second worker starts
            sink.answer.set()
            second = await start_worker(tmp_path, config)
            processes.append(second)

            async def all_delivered() -> bool:
                return all(row.state == DELIVERED for row in await deliveries(database))

            await wait_until(all_delivered, "the second worker's deliveries")

            # Then every row was delivered by the second worker in one recorded attempt, once
            # the first one's lease had run out, and each inbox got the activity twice (at
            # least once is the promise: the first worker died before it could record)
            rows = await deliveries(database)
            assert {(row.state, row.attempts, row.claim_token) for row in rows} == {
                (DELIVERED, 1, None)
            }
            assert all(row.finished_at and row.finished_at >= lease_ends for row in rows)
            paths = [f"/users/u{n}/inbox" for n in range(ROWS)]
            assert Counter(sink.received) == Counter(paths * 2)
            assert activity_id.startswith("http://paquis.test/")
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(process.wait(), 30)
