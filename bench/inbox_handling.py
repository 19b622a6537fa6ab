"""Inbox handling: how fast the production InboxWorker applies received ``Create(Note)``s.

The rows are written straight into ``inbox_items`` (as the inbox route stores them once a
signature is verified: the payloads of ``bench/inbox.py``, 50 known remote actors on 5 hosts,
public notes with a hashtag), then the worker runs as ``quartiers worker`` runs it until none is
queued. The ceiling, in the same run: the same rows claimed and recorded by the same worker with
a handler that does nothing (the queue's own cost). ``--profile FILE`` writes a cProfile of the
handling phase; the top entries are printed.

Usage: .venv/bin/python bench/inbox_handling.py [--postgres URL] [--items N] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signed_creates import build_create, receiving_settings
from sqlalchemy import event, insert, select
from support import add_postgres_argument, bench_database, database_kinds, report

from actors.services import ensure_instance_actor
from federation.client import FederationClient
from inbox.worker import InboxWorker
from instance.runtime import Instance
from quartiers import event_loop
from storage.database import Database
from storage.models import Actor, InboxItem, utcnow
from storage.models.queue import QUEUED

ACTORS = 50
LOOP_TIMEOUT = 600.0


class QueueOnly(InboxWorker):
    """Claims and records like the real worker, and applies nothing."""

    async def _prepare(self, item: InboxItem) -> None:
        return None


@dataclass
class Run:
    database: str
    items: int
    handled_per_s: float
    ms_per_item: float
    statements_per_item: float
    ceiling_per_s: float
    share_of_ceiling: float


class StatementCounter:
    """Counts the SQL statements (each a round trip to the database) the engines run."""

    def __init__(self, database: Database) -> None:
        self.count = 0
        for engine in {database.engine, database.write_engine}:
            event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1


async def insert_items(database: Database, count: int, tag: str, senders: int = ACTORS) -> None:
    actors = [f"https://remote{n % 5}.example/users/u{n}" for n in range(senders)]
    now = utcnow()
    rows = []
    for serial in range(count):
        actor = actors[serial % senders]
        payload = build_create(actor, serial, tag).decode()
        rows.append(
            {
                "activity_uri": json.loads(payload)["id"],
                "actor_uri": actor,
                "activity_type": "Create",
                "payload": payload,
                "state": QUEUED,
                "attempts": 0,
                "next_attempt_at": now,
                "received_at": now,
            }
        )
    async with database.transaction() as session:
        await session.execute(insert(InboxItem), rows)


async def seed_actors(database: Database, settings: Any, senders: int = ACTORS) -> None:
    now = utcnow()
    async with database.transaction() as session:
        await ensure_instance_actor(session, settings)
        await session.execute(
            insert(Actor),
            [
                {
                    "uri": f"https://remote{n % 5}.example/users/u{n}",
                    "type": "Person",
                    "username": f"u{n}",
                    "domain": f"remote{n % 5}.example",
                    "is_local": False,
                    "name": f"u{n}",
                    "summary": "",
                    "inbox_uri": f"https://remote{n % 5}.example/users/u{n}/inbox",
                    "followers_uri": f"https://remote{n % 5}.example/users/u{n}/followers",
                    "public_key_id": f"https://remote{n % 5}.example/users/u{n}#main-key",
                    "public_key_pem": "",
                    "manually_approves_followers": False,
                    "is_gone": False,
                    "fetched_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(senders)
            ],
        )


async def drain(
    worker: InboxWorker,
    database: Database,
    beside: Callable[[asyncio.Event], Coroutine[Any, Any, None]] | None = None,
) -> float:
    """Run ``worker`` (and ``beside``, until the same stop) until nothing is queued; seconds."""
    stop = asyncio.Event()
    started = time.perf_counter()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    other = asyncio.create_task(beside(stop)) if beside is not None else None
    try:
        async with asyncio.timeout(LOOP_TIMEOUT):
            while True:
                # Whether one is left, not how many: the count would cost the worker's loop more
                # than the work it watches, once thousands are queued.
                async with database.session() as session:
                    queued = await session.scalar(
                        select(InboxItem.id).where(InboxItem.state == QUEUED).limit(1)
                    )
                if queued is None:
                    return time.perf_counter() - started
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await running
        if other is not None:
            await other


async def run(kind: str, postgres: str | None, items: int, profile: cProfile.Profile | None) -> Run:
    async with bench_database(kind, postgres) as database:
        settings = receiving_settings(database.url)
        await seed_actors(database, settings)
        client = FederationClient.create(user_agent="bench", allow_private_addresses=True)
        instance = Instance(settings=settings, database=database, federation=client)
        try:
            # The ceiling: the queue alone (claim, record) with a handler that does nothing.
            await insert_items(database, items, "ceiling")
            ceiling_s = await drain(QueueOnly(instance), database)

            await insert_items(database, items, "real")
            counter = StatementCounter(database)
            if profile is not None:
                profile.enable()
            handled_s = await drain(InboxWorker(instance), database)
            if profile is not None:
                profile.disable()
        finally:
            await client.aclose()
    return Run(
        database=kind,
        items=items,
        handled_per_s=round(items / handled_s, 1),
        ms_per_item=round(1000 * handled_s / items, 2),
        statements_per_item=round(counter.count / items, 1),
        ceiling_per_s=round(items / ceiling_s, 1),
        share_of_ceiling=round(ceiling_s / handled_s, 3),
    )


COLUMNS = [
    ("database", "database"),
    ("handled_per_s", "handled/s"),
    ("ms_per_item", "ms/item"),
    ("statements_per_item", "SQL/item"),
    ("ceiling_per_s", "queue alone/s (ceiling)"),
    ("share_of_ceiling", "share"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_postgres_argument(parser)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the handling phase")
    args = parser.parse_args()
    kinds, postgres = database_kinds(args.postgres)
    profile = cProfile.Profile() if args.profile else None
    runs = [event_loop.run(run(kind, postgres, args.items, profile)) for kind in kinds]
    if profile is not None and args.profile:
        profile.dump_stats(args.profile)
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(25)
    title = f"inbox handling: {args.items} Create(Note) from {ACTORS} actors, production worker"
    report("inbox_handling", title, runs, COLUMNS)


if __name__ == "__main__":
    main()
