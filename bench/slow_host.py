"""A slow host among fast ones: one post to 400 fast inboxes and 20 on a host answering in 5 s.

Runs the production DeliveryWorker (its continuous pipeline, default settings) over real HTTP to
the loopback sink of ``bench/sink.py`` and measures the time until the 400 fast rows are
recorded delivered. The ceiling, measured in the same run: the same 400 fast inboxes without
the slow host. Goal: within 1.2 × the ceiling (the slow host delays only its own rows).

Usage: .venv/bin/python bench/slow_host.py [--postgres URL] [--slow-seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass

import httpx2
from fanout import bench_settings
from sink import LoopbackTransport, sink_counts, sink_process
from sqlalchemy import func, select
from support import add_postgres_argument, bench_database, database_kinds, report

from actors.services import create_account
from federation.client import FederationClient
from instance.runtime import Instance
from outbox.enqueue import enqueue_activity
from quartiers import event_loop
from quartiers.workers import delivery_worker
from storage.database import Database
from storage.models import Actor, Delivery
from storage.models.queue import DELIVERED

FAST = 400
SLOW = 20
SLOW_HOST = "slow.test"
GOAL_RATIO = 1.2
LOOP_TIMEOUT = 120.0


@dataclass
class Run:
    database: str
    fast: int
    slow: int
    slow_seconds: float
    ceiling_s: float
    with_slow_host_s: float
    ratio: float
    fast_posts: int
    duplicates: int
    goal_ratio: float = GOAL_RATIO


def fast_inboxes() -> list[str]:
    return [f"http://f{n:03d}.test/inbox" for n in range(FAST)]


def slow_inboxes() -> list[str]:
    return [f"http://{SLOW_HOST}/users/u{n}/inbox" for n in range(SLOW)]


async def fast_ones_delivered(database: Database) -> int:
    async with database.session() as session:
        return int(
            await session.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.state == DELIVERED, Delivery.host != SLOW_HOST
                )
            )
            or 0
        )


async def one_run(database: Database, port: int, inboxes: list[str], username: str) -> float:
    """Queue one activity to ``inboxes``; seconds until the fast ones are recorded."""
    settings = bench_settings(database.url, None)
    async with database.transaction() as session:
        account = await create_account(session, settings, username, "password123")
        sender = await session.get(Actor, account.actor_id)
        assert sender is not None
        document = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{sender.uri}/activities/{username}",
            "type": "Create",
            "actor": sender.uri,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {"type": "Note", "content": "Samedi : Repair Café"},
        }
        await enqueue_activity(session, sender, document, to_followers=False, inboxes=inboxes)
    already = await fast_ones_delivered(database)
    http = httpx2.AsyncClient(transport=LoopbackTransport(port), follow_redirects=False)
    client = FederationClient(http, user_agent="bench", allow_private_addresses=True)
    worker = delivery_worker(Instance(settings=settings, database=database, federation=client))
    # As in production, the signing processes run before the activity is sent.
    await worker.start_signing()
    stop = asyncio.Event()
    started = time.perf_counter()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    try:
        async with asyncio.timeout(LOOP_TIMEOUT):
            while await fast_ones_delivered(database) - already < FAST:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        return time.perf_counter() - started
    finally:
        stop.set()
        await running
        await client.aclose()


async def run(kind: str, postgres: str | None, slow_seconds: float) -> Run:
    async with (
        bench_database(kind, postgres) as database,
        sink_process({SLOW_HOST: slow_seconds}) as port,
    ):
        ceiling = await one_run(database, port, fast_inboxes(), "ceiling")
        with_slow = await one_run(database, port, slow_inboxes() + fast_inboxes(), "mixed")
        counts = await sink_counts(port)
    fast_posts = sum(n for (host, _), n in counts.items() if host != SLOW_HOST)
    return Run(
        database=kind,
        fast=FAST,
        slow=SLOW,
        slow_seconds=slow_seconds,
        ceiling_s=round(ceiling, 3),
        with_slow_host_s=round(with_slow, 3),
        ratio=round(with_slow / ceiling, 2),
        fast_posts=fast_posts,
        # Each fast host has one inbox; the slow host's twenty share one key, not counted.
        duplicates=sum(n - 1 for (host, _), n in counts.items() if n > 1 and host != SLOW_HOST),
    )


COLUMNS = [
    ("database", "database"),
    ("ceiling_s", "without slow host s (ceiling)"),
    ("with_slow_host_s", "with slow host s"),
    ("ratio", "ratio"),
    ("goal_ratio", "goal"),
    ("fast_posts", "fast POSTs"),
    ("duplicates", "dup"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_postgres_argument(parser)
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    args = parser.parse_args()
    kinds, postgres = database_kinds(args.postgres)
    runs = [event_loop.run(run(kind, postgres, args.slow_seconds)) for kind in kinds]
    title = (
        f"a slow host: {FAST} fast inboxes + {SLOW} on a host answering in {args.slow_seconds:g} s;"
        f" goal: the fast ones within {GOAL_RATIO} × the time without the slow host"
    )
    report("slow_host", title, runs, COLUMNS)


if __name__ == "__main__":
    main()
