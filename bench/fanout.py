"""Fan-out: a collective with 10,000 followers on 1,000 hosts publishes one post.

Measures the publish transaction (1,000 delivery rows after sharedInbox dedup) and the time until
the production DeliveryWorker (its continuous pipeline, as `quartiers worker` runs it) has
recorded every row delivered, POSTing signed requests over real
HTTP/1.1 sockets to a loopback sink (a separate uvicorn process that answers 202 and counts
(host, activity id) pairs). Beside it, the floor: 1,000 draft-cavage signatures of the same body.

Usage: .venv/bin/python bench/fanout.py [--postgres URL] [--batch-size N] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import secrets
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from actors.services import create_account, create_group
from commons.posts.services import publish_note
from config.settings import (
    DatabaseSettings,
    FederationSettings,
    ServerSettings,
    Settings,
)
from config.uris import Uris
from federation.client import FederationClient
from federation.signatures import Scheme, sign_request
from outbox.worker import DeliveryWorker
from storage import migrate
from storage.database import Database
from storage.models import Activity, Actor, Delivery, Follow, utcnow
from storage.models.follows import ACCEPTED
from storage.models.queue import DELIVERED, QUEUED

FOLLOWERS = 10_000
HOSTS = 1_000
GOAL_SECONDS = 1.0
LOOP_TIMEOUT = 60.0
POSTGRES_URL_ENV = "QUARTIERS_TEST_DATABASE_URL"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


# --- the sink: a separate process ---------------------------------------------------------------


def sink_app(
    slow_hosts: dict[str, float] | None = None,
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Answers 202 to every POST and counts (Host, activity id); ``GET /stats`` tells the counts.

    A POST whose ``Host`` is in ``slow_hosts`` is answered after that many seconds.
    """
    counts: dict[tuple[str, str], int] = {}
    delays = slow_hosts or {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST":
            host = dict(scope["headers"]).get(b"host", b"").decode()
            key = (host, str(json.loads(body)["id"]))
            if host in delays:
                await asyncio.sleep(delays[host])
            counts[key] = counts.get(key, 0) + 1
            status, payload = 202, b""
        else:
            status = 200
            payload = json.dumps([[host, uri, n] for (host, uri), n in counts.items()]).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


def run_sink(port: int, slow: list[str] | None = None) -> None:
    import uvicorn

    slow_hosts = {host: float(seconds) for host, seconds in (s.split("=") for s in slow or [])}
    uvicorn.run(
        sink_app(slow_hosts),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def sink_process(slow_hosts: dict[str, float] | None = None) -> AsyncIterator[int]:
    """The sink in a process of its own (``HOST=SECONDS`` pairs for the slow hosts)."""
    port = free_port()
    slow = [f"--sink-slow={host}={seconds}" for host, seconds in (slow_hosts or {}).items()]
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--sink", str(port), *slow
    )
    try:
        deadline = time.monotonic() + 60
        async with httpx2.AsyncClient() as client:
            while True:
                try:
                    await client.get(f"http://127.0.0.1:{port}/stats")
                    break
                except httpx2.TransportError:
                    if time.monotonic() > deadline or process.returncode is not None:
                        raise RuntimeError("the sink did not start") from None
                    await asyncio.sleep(0.05)
        yield port
    finally:
        process.kill()
        await asyncio.wait_for(process.wait(), timeout=10)


async def sink_counts(port: int) -> dict[tuple[str, str], int]:
    async with httpx2.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/stats", timeout=10)
    return {(host, uri): n for host, uri, n in response.json()}


class LoopbackTransport(httpx2.AsyncBaseTransport):
    """Sends every request to the sink's socket, keeping its URL host in the ``Host`` header."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# --- the instance and its followers ------------------------------------------------------------


def bench_settings(database_url: str, batch_size: int | None) -> Settings:
    federation = FederationSettings(allow_private_addresses=True)
    if batch_size:
        federation = replace(federation, delivery_batch_size=batch_size)
    return Settings(
        server=ServerSettings(name="Quartier Bench", domain="paquis.test", scheme="http"),
        database=DatabaseSettings(url=database_url),
        federation=federation,
    )


@asynccontextmanager
async def bench_database(kind: str, postgres: str | None) -> AsyncIterator[Database]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="fanout-") as folder:
            database = Database(f"sqlite+aiosqlite:///{folder}/fanout.sqlite")
            try:
                await migrate.upgrade(database)
                yield database
            finally:
                await database.dispose()
        return
    assert postgres is not None
    schema = f"bench_fanout_{secrets.token_hex(4)}"
    admin = create_async_engine(postgres)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(postgres, schema=schema)
    try:
        await migrate.upgrade(database)
        yield database
    finally:
        await database.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def host_name(n: int) -> str:
    return f"h{n:04d}.test"


async def seed(database: Database, settings: Settings) -> int:
    """A collective and its followers (bulk inserts); returns the collective's actor id."""
    async with database.transaction() as session:
        await create_account(session, settings, "jeanmarc", "password123")
        collective = await create_group(session, settings, "repair-cafe", "space", "jeanmarc")
        now = utcnow()
        per_host = FOLLOWERS // HOSTS
        actors = []
        for n in range(FOLLOWERS):
            host = host_name(n // per_host + 1)
            uri = f"http://{host}/users/u{n}"
            actors.append(
                {
                    "uri": uri,
                    "type": "Person",
                    "username": f"u{n}",
                    "domain": host,
                    "is_local": False,
                    "name": f"u{n}",
                    "summary": "",
                    "inbox_uri": f"{uri}/inbox",
                    "shared_inbox_uri": f"http://{host}/inbox",
                    "public_key_id": f"{uri}#main-key",
                    "public_key_pem": "",
                    "manually_approves_followers": False,
                    "is_gone": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        await session.execute(insert(Actor), actors)
        follower_ids = (
            await session.scalars(select(Actor.id).where(Actor.is_local.is_(False)))
        ).all()
        await session.execute(
            insert(Follow),
            [
                {
                    "uri": f"http://follows.test/{follower_id}",
                    "follower_id": follower_id,
                    "followed_id": collective.id,
                    "state": ACCEPTED,
                    "created_at": now,
                    "accepted_at": now,
                }
                for follower_id in follower_ids
            ],
        )
        collective_id = collective.id
    # Followers accumulate over months, long after autovacuum has analysed their tables; without
    # statistics PostgreSQL plans the follower join for empty tables (seconds, not milliseconds).
    async with database.transaction() as session:
        await session.execute(text("ANALYZE"))
    return collective_id


# --- the measurements ---------------------------------------------------------------------------


@dataclass
class Run:
    database: str
    followers: int
    hosts: int
    deliveries: int
    batch_size: int
    concurrency: int
    per_host: int
    seed_s: float
    enqueue_s: float
    deliver_all_s: float
    signing_floor_s: float
    ratio_to_floor: float
    posts_received: int
    duplicates: int
    lost: int
    goal_s: float = GOAL_SECONDS


def signing_floor(private_key_pem: str, key_id: str, body: bytes) -> float:
    headers = {"Content-Type": "application/activity+json", "User-Agent": "bench"}
    start = time.perf_counter()
    for n in range(HOSTS):
        url = f"http://{host_name(n + 1)}/inbox"
        sign_request("POST", url, headers, body, key_id, private_key_pem, Scheme.CAVAGE)
    return time.perf_counter() - start


async def deliver_all(worker: DeliveryWorker, database: Database) -> None:
    """Run the worker as production does (its continuous pipeline) until no row is queued."""
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    try:
        while not running.done():
            async with database.session() as session:
                queued = await session.scalar(
                    select(func.count(Delivery.id)).where(Delivery.state == QUEUED)
                )
            if not queued:
                return
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running


async def run(
    kind: str, postgres: str | None, batch_size: int | None, profile: cProfile.Profile | None
) -> Run:
    async with bench_database(kind, postgres) as database, sink_process() as port:
        settings = bench_settings(database.url, batch_size)
        started = time.perf_counter()
        collective_id = await seed(database, settings)
        seed_s = time.perf_counter() - started

        # The publish transaction: the post, its Create, one delivery row per shared inbox.
        started = time.perf_counter()
        async with database.transaction() as session:
            collective = await session.get(Actor, collective_id)
            assert collective is not None
            post = await publish_note(
                session, Uris(settings.base_url), collective, "Samedi : **Repair Café**"
            )
        enqueue_s = time.perf_counter() - started
        async with database.session() as session:
            deliveries = int(await session.scalar(select(func.count(Delivery.id))) or 0)
            activity = await session.scalar(select(Activity).where(Activity.object_uri == post.uri))
            assert activity is not None
            key_id, pem = (
                await session.execute(
                    select(Actor.public_key_id, Actor.private_key_pem).where(
                        Actor.id == collective_id
                    )
                )
            ).one()
        assert pem is not None

        floor_s = signing_floor(pem, key_id, activity.payload.encode())

        federation = settings.federation
        http = httpx2.AsyncClient(transport=LoopbackTransport(port), follow_redirects=False)
        client = FederationClient(http, user_agent="bench", allow_private_addresses=True)
        worker = DeliveryWorker(
            database,
            client,
            concurrency=federation.delivery_workers,
            per_host=federation.per_host_concurrency,
            batch_size=federation.delivery_batch_size,
        )
        try:
            if profile is not None:
                profile.enable()
            started = time.perf_counter()
            await asyncio.wait_for(deliver_all(worker, database), timeout=LOOP_TIMEOUT)
            deliver_all_s = time.perf_counter() - started
            if profile is not None:
                profile.disable()
        finally:
            await client.aclose()

        received = await sink_counts(port)
        async with database.session() as session:
            delivered = {
                (host, activity.uri)
                for host in (
                    await session.scalars(select(Delivery.host).where(Delivery.state == DELIVERED))
                ).all()
            }
        return Run(
            database=kind,
            followers=FOLLOWERS,
            hosts=HOSTS,
            deliveries=deliveries,
            batch_size=federation.delivery_batch_size,
            concurrency=federation.delivery_workers,
            per_host=federation.per_host_concurrency,
            seed_s=round(seed_s, 3),
            enqueue_s=round(enqueue_s, 3),
            deliver_all_s=round(deliver_all_s, 3),
            signing_floor_s=round(floor_s, 3),
            ratio_to_floor=round(deliver_all_s / floor_s, 2),
            posts_received=sum(received.values()),
            duplicates=sum(n - 1 for n in received.values() if n > 1),
            lost=deliveries - len(delivered & set(received)),
        )


def print_table(runs: list[Run]) -> None:
    columns = [
        ("database", "database"),
        ("deliveries", "rows"),
        ("batch_size", "batch"),
        ("seed_s", "seed s"),
        ("enqueue_s", "enqueue s"),
        ("deliver_all_s", "deliver all s"),
        ("signing_floor_s", "sign floor s"),
        ("ratio_to_floor", "× floor"),
        ("posts_received", "POSTs"),
        ("duplicates", "dup"),
        ("lost", "lost"),
    ]
    rows = [[str(asdict(run)[key]) for key, _ in columns] for run in runs]
    widths = [
        max(len(title), *(len(row[i]) for row in rows)) for i, (_, title) in enumerate(columns)
    ]
    print(f"fan-out: {FOLLOWERS} followers on {HOSTS} hosts, one post; goal {GOAL_SECONDS:.1f} s")
    print("  ".join(title.rjust(w) for (_, title), w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help=f"PostgreSQL URL (default: ${POSTGRES_URL_ENV})")
    parser.add_argument("--batch-size", type=int, help="delivery_batch_size (default: settings)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the delivery phase")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sink-slow", action="append", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        run_sink(args.sink, args.sink_slow)
        return
    postgres = args.postgres or os.environ.get(POSTGRES_URL_ENV) or None
    kinds = ["sqlite"] + (["postgresql"] if postgres else [])
    profile = cProfile.Profile() if args.profile else None
    runs = [asyncio.run(run(kind, postgres, args.batch_size, profile)) for kind in kinds]
    if profile is not None:
        profile.dump_stats(args.profile)
    print_table(runs)
    figures = [asdict(r) for r in runs]
    summary: dict[str, Any] = {"bench": "fanout", **figures[0]}
    if len(figures) > 1:
        summary["runs"] = figures
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
