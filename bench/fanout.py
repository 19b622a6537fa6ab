"""Fan-out: a collective with 10,000 followers on 1,000 hosts publishes one post.

Measures the publish transaction (1,000 delivery rows: the followers collapse to one shared
inbox per host) and the time until the delivery worker built as `quartiers worker` builds it
(its continuous pipeline, its signing processes started) has recorded every row delivered,
POSTing signed requests over real HTTP/1.1 sockets to the loopback sink of ``bench/sink.py``.
Beside it, the floors measured in the same run: the 1,000 signatures on one core, and through a
signing pool of the worker's size; and the 1,000 POSTs alone, unsigned, through the same
transport and concurrency (a new connection to each server, as a fan-out opens). Also the worker process's CPU seconds and SQL statements
during delivery, figures a busy machine changes less than wall time.

Usage: .venv/bin/python bench/fanout.py [--postgres URL] [--batch-size N] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx2
from sink import LoopbackTransport, sink_counts, sink_process
from sqlalchemy import event, func, insert, select, text
from support import add_postgres_argument, bench_database, database_kinds, report

from actors.services import create_account, create_group
from commons.posts.services import publish_note
from config.settings import (
    DatabaseSettings,
    FederationSettings,
    ServerSettings,
    Settings,
)
from config.uris import Uris
from federation.client import FederationClient, Signer
from federation.signatures import Scheme, sign_request
from instance.runtime import Instance
from outbox.signing import SigningPool
from outbox.worker import DeliveryWorker
from quartiers import event_loop
from quartiers.workers import delivery_worker
from storage.database import Database
from storage.models import Activity, Actor, Delivery, Follow, utcnow
from storage.models.follows import ACCEPTED
from storage.models.queue import DELIVERED, QUEUED

FOLLOWERS = 10_000
HOSTS = 1_000
GOAL_SECONDS = 1.0
LOOP_TIMEOUT = 300.0


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
    signing_processes: int
    seed_s: float
    enqueue_s: float
    deliver_all_s: float
    sign_one_core_s: float
    sign_pool_s: float
    post_floor_s: float
    ratio_to_pool_floor: float
    worker_cpu_s: float
    statements: int
    posts_received: int
    duplicates: int
    lost: int
    goal_s: float = GOAL_SECONDS


def signed_urls() -> list[str]:
    return [f"http://{host_name(n + 1)}/inbox" for n in range(HOSTS)]


def sign_on_one_core(signer: Signer, body: bytes) -> float:
    """The floor on one core: every delivery's signature, one after the other."""
    headers = {"Content-Type": "application/activity+json", "User-Agent": "bench"}
    start = time.perf_counter()
    for url in signed_urls():
        sign_request(
            "POST", url, headers, body, signer.key_id, signer.private_key_pem, Scheme.CAVAGE
        )
    return time.perf_counter() - start


async def sign_on_the_pool(signer: Signer, body: bytes, processes: int) -> float:
    """The floor of the worker's own signing: every signature through a pool of the same size
    (started beforehand, as the worker starts it), 16 at a time as the worker sends."""
    headers = {"Content-Type": "application/activity+json", "User-Agent": "bench"}
    pool = SigningPool(processes)
    try:
        await pool.start()
        bound = asyncio.Semaphore(16)

        async def one(url: str) -> None:
            async with bound:
                await pool("POST", url, headers, body, signer, Scheme.CAVAGE)

        start = time.perf_counter()
        await asyncio.gather(*(one(url) for url in signed_urls()))
        return time.perf_counter() - start
    finally:
        await asyncio.to_thread(pool.close)


async def post_on_the_transport(port: int, body: bytes, concurrency: int) -> float:
    """The floor of the sending alone: one unsigned POST to each of as many other servers,
    through the worker's transport (a new connection to each), ``concurrency`` at a time, no
    database."""
    http = httpx2.AsyncClient(transport=LoopbackTransport(port), follow_redirects=False)
    bound = asyncio.Semaphore(concurrency)
    headers = {"Content-Type": "application/activity+json", "User-Agent": "bench"}

    async def one(n: int) -> None:
        async with bound:
            response = await http.post(
                f"http://floor-{host_name(n)}/inbox", headers=headers, content=body
            )
            response.raise_for_status()

    try:
        start = time.perf_counter()
        await asyncio.gather(*(one(n + 1) for n in range(HOSTS)))
        return time.perf_counter() - start
    finally:
        await http.aclose()


async def deliver_all(worker: DeliveryWorker, database: Database) -> None:
    """Run the worker as production does (its continuous pipeline) until no row is queued.

    The bench looks through engines of its own: the worker's statements are counted alone.
    """
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    watcher = Database(database.url, schema=database.schema)
    try:
        while not running.done():
            async with watcher.session() as session:
                queued = await session.scalar(
                    select(func.count(Delivery.id)).where(Delivery.state == QUEUED)
                )
            if not queued:
                return
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
        await watcher.dispose()


class StatementCounter:
    """SQL statements sent through the worker's engines."""

    def __init__(self, database: Database) -> None:
        self.count = 0
        self.engines = {database.engine.sync_engine, database.write_engine.sync_engine}
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, *_: object) -> None:
        self.count += 1

    def close(self) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self.seen)


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
        signer = Signer(key_id, pem)
        body = activity.payload.encode()

        http = httpx2.AsyncClient(transport=LoopbackTransport(port), follow_redirects=False)
        client = FederationClient(http, user_agent="bench", allow_private_addresses=True)
        worker = delivery_worker(Instance(settings=settings, database=database, federation=client))
        processes = worker.signing_processes or 0
        one_core_s = sign_on_one_core(signer, body)
        pool_s = await sign_on_the_pool(signer, body, processes) if processes else one_core_s
        # Another activity id: the sink counts the floor's POSTs apart from the worker's.
        floor_body = body.replace(activity.uri.encode(), f"{activity.uri}-floor".encode())
        post_floor_s = await post_on_the_transport(
            port, floor_body, settings.federation.delivery_workers
        )
        counter = StatementCounter(database)
        try:
            # As in production, the worker's signing processes run before the post is sent.
            await worker.start_signing()
            if profile is not None:
                profile.enable()
            cpu = time.process_time()
            started = time.perf_counter()
            await asyncio.wait_for(deliver_all(worker, database), timeout=LOOP_TIMEOUT)
            deliver_all_s = time.perf_counter() - started
            cpu = time.process_time() - cpu
            if profile is not None:
                profile.disable()
        finally:
            counter.close()
            await client.aclose()

        received = {
            key: n for key, n in (await sink_counts(port)).items() if key[1] == activity.uri
        }
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
            signing_processes=processes,
            seed_s=round(seed_s, 3),
            enqueue_s=round(enqueue_s, 3),
            deliver_all_s=round(deliver_all_s, 3),
            sign_one_core_s=round(one_core_s, 3),
            sign_pool_s=round(pool_s, 3),
            post_floor_s=round(post_floor_s, 3),
            ratio_to_pool_floor=round(deliver_all_s / pool_s, 2),
            worker_cpu_s=round(cpu, 3),
            statements=counter.count,
            posts_received=sum(received.values()),
            duplicates=sum(n - 1 for n in received.values() if n > 1),
            lost=deliveries - len(delivered & set(received)),
        )


COLUMNS = [
    ("database", "database"),
    ("deliveries", "rows"),
    ("signing_processes", "signers"),
    ("enqueue_s", "enqueue s"),
    ("deliver_all_s", "deliver all s"),
    ("sign_one_core_s", "sign 1 core s"),
    ("sign_pool_s", "sign pool s (floor)"),
    ("post_floor_s", "POST floor s"),
    ("ratio_to_pool_floor", "× floor"),
    ("worker_cpu_s", "worker CPU s"),
    ("statements", "SQL"),
    ("posts_received", "POSTs"),
    ("duplicates", "dup"),
    ("lost", "lost"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_postgres_argument(parser)
    parser.add_argument("--batch-size", type=int, help="delivery_batch_size (default: settings)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the delivery phase")
    args = parser.parse_args()
    kinds, postgres = database_kinds(args.postgres)
    profile = cProfile.Profile() if args.profile else None
    runs = [event_loop.run(run(kind, postgres, args.batch_size, profile)) for kind in kinds]
    if profile is not None:
        profile.dump_stats(args.profile)
    title = f"fan-out: {FOLLOWERS} followers on {HOSTS} hosts, one post; goal {GOAL_SECONDS:.1f} s"
    report("fanout", title, runs, COLUMNS)


if __name__ == "__main__":
    main()
