"""Inbox end to end: signed ``Create(Note)``s accepted **and** handled by one `quartiers serve`.

The server is run as users run it: `create_app(settings)` under uvicorn, one process, its queue
workers in-process (``bench/inbox_server.py --with-workers``). The signed requests of
``bench/inbox.py`` (50 remote actors on 5 hosts, keys already known) are sent at a fixed
``--rate`` for ``--seconds`` (an open load: it does not slow down when the server falls behind,
as long as one of the ``--concurrency`` connections is free). Every few seconds the inbox queue
is counted by state from another connection. Afterwards, the time the workers need to empty the
queue, and their rate then (handling alone, the ceiling of handling in this run).

Goal: ≥ 1,500 activities/s accepted and handled for 60 s, the queue not growing — here, at most
two seconds of arrivals still queued when the load stops.

Usage: .venv/bin/python bench/inbox_end_to_end.py [--postgres URL] [--rate 1500] [--seconds 60]
Without --postgres, QUARTIERS_TEST_DATABASE_URL is used when set. The last line printed is one
JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from http_load import run_load
from inbox_server import SERVER_SCRIPT, drop_schema, prepare_database
from signed_creates import make_actors, sign_all
from support import cpu_seconds, database_kinds, free_port, report, running

from quartiers import event_loop

ACTORS = 50
GOAL_PER_SECOND = 1500
QUEUED_AT_END_GOAL_S = 2.0
SAMPLE_EVERY_S = 5.0
DRAIN_LIMIT_S = 180.0


@dataclass
class QueueCounts:
    at: float
    queued: int
    done: int
    failed: int


@dataclass
class Sampler:
    """Counts the inbox queue by state every few seconds, from a thread of its own."""

    url: str
    schema: str | None
    samples: list[QueueCounts] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        event_loop.run(self._run())

    async def _run(self) -> None:
        from storage.database import Database

        database = Database(self.url, schema=self.schema)
        try:
            while True:
                self.samples.append(await count_states(database))
                if self.stop.wait(SAMPLE_EVERY_S):
                    return
        finally:
            await database.dispose()


async def count_states(database: Any) -> QueueCounts:
    from sqlalchemy import func, select

    from storage.models import InboxItem
    from storage.models.queue import DONE, FAILED

    async with database.session() as session:
        rows = (
            await session.execute(select(InboxItem.state, func.count()).group_by(InboxItem.state))
        ).all()
    counts = {state: count for state, count in rows}
    done, failed = counts.pop(DONE, 0), counts.pop(FAILED, 0)
    return QueueCounts(time.perf_counter(), sum(counts.values()), done, failed)


async def wait_for_empty_queue(url: str, schema: str | None) -> tuple[QueueCounts, QueueCounts]:
    """The counts when the load stopped and when nothing was left queued (or the limit)."""
    from storage.database import Database

    database = Database(url, schema=schema)
    try:
        first = last = await count_states(database)
        while last.queued and last.at - first.at < DRAIN_LIMIT_S:
            await asyncio.sleep(0.25)
            last = await count_states(database)
        return first, last
    finally:
        await database.dispose()


def measure(
    backend: str, url: str, schema: str | None, requests: list[bytes], arguments: Any
) -> dict[str, Any]:
    actors = arguments.actors
    event_loop.run(prepare_database(url, schema, actors))
    port = free_port()
    command = [sys.executable, SERVER_SCRIPT, str(port), "--database-url", url, "--with-workers"]
    if schema:
        command += ["--schema", schema]
    sampler = Sampler(url, schema)
    with running(command, port) as server:
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        cpu_before = cpu_seconds([server.pid])
        outcome = run_load(
            port, requests, arguments.concurrency, arguments.seconds + 5, rate=arguments.rate
        )
        cpu_load = cpu_seconds([server.pid]) - cpu_before
        sampler.stop.set()
        thread.join()
        stopped, emptied = event_loop.run(wait_for_empty_queue(url, schema))
    accepted = outcome.statuses.get(202, 0)
    start = sampler.samples[0]
    handled_during = stopped.done + stopped.failed - start.done - start.failed
    drained = emptied.done + emptied.failed - stopped.done - stopped.failed
    drain_seconds = emptied.at - stopped.at
    queued_at_end_s = stopped.queued / arguments.rate
    accepted_rate = accepted / outcome.seconds
    handled_rate = handled_during / (stopped.at - start.at)
    return {
        "run": f"serve on {backend}",
        "offered_per_second": arguments.rate,
        "accepted_per_second": round(accepted_rate),
        "handled_per_second": round(handled_rate),
        "handling_alone_per_second": round(drained / drain_seconds) if drained > 1000 else None,
        "queued_samples": [sample.queued for sample in sampler.samples],
        "queued_at_end_s": round(queued_at_end_s, 2),
        "drain_s": round(drain_seconds, 1),
        "left_queued": emptied.queued,
        "failed": emptied.failed,
        "p99_ms": round(outcome.percentile(0.99), 1),
        "server_cpu_us_per_activity": round(1e6 * cpu_load / max(accepted, 1)),
        "other_statuses": {str(s): n for s, n in outcome.statuses.items() if s != 202},
        "meets_goal": (
            accepted_rate >= GOAL_PER_SECOND
            and handled_rate >= GOAL_PER_SECOND
            and queued_at_end_s <= QUEUED_AT_END_GOAL_S
            and emptied.failed == 0
        ),
    }


COLUMNS = [
    ("run", "run"),
    ("offered_per_second", "offered/s"),
    ("accepted_per_second", "accepted/s"),
    ("handled_per_second", "handled/s"),
    ("handling_alone_per_second", "handling alone/s"),
    ("queued_samples", f"queued every {SAMPLE_EVERY_S:.0f} s"),
    ("queued_at_end_s", "queued at end (s of arrivals)"),
    ("drain_s", "drain s"),
    ("failed", "failed"),
    ("p99_ms", "p99 ms"),
    ("server_cpu_us_per_activity", "server CPU µs/activity"),
    ("meets_goal", "goal met"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--postgres", help="PostgreSQL URL (default: $QUARTIERS_TEST_DATABASE_URL)")
    parser.add_argument("--rate", type=float, default=GOAL_PER_SECOND)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=32)
    arguments = parser.parse_args()
    _kinds, postgres = database_kinds(arguments.postgres)
    total = int(arguments.rate * arguments.seconds)
    prepared = time.perf_counter()
    arguments.actors = make_actors(ACTORS)
    requests = sign_all(arguments.actors, total)
    print(
        f"prepared {ACTORS} actors and {total} signed requests in "
        f"{time.perf_counter() - prepared:.1f} s; {os.cpu_count()} CPUs",
        flush=True,
    )
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as folder:
        sqlite_url = f"sqlite+aiosqlite:///{Path(folder) / 'inbox.sqlite'}"
        runs.append(measure("sqlite", sqlite_url, None, requests, arguments))
    if postgres:
        schema = f"bench_{secrets.token_hex(4)}"
        try:
            runs.append(measure("postgresql", postgres, schema, requests, arguments))
        finally:
            event_loop.run(drop_schema(postgres, schema))
    title = (
        f"inbox end to end: signed Create(Note)s offered at {arguments.rate:.0f}/s for "
        f"{arguments.seconds:.0f} s to one `quartiers serve` (workers in-process), "
        f"{arguments.concurrency} connections; goal >= {GOAL_PER_SECOND}/s accepted and handled, "
        f"<= {QUEUED_AT_END_GOAL_S:.0f} s of arrivals queued at the end"
    )
    report("inbox_end_to_end", title, runs, COLUMNS)


if __name__ == "__main__":
    main()
