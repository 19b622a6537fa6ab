"""Inbox handling by several worker processes on PostgreSQL, beside one process.

The rows of ``bench/inbox_handling.py`` (signed ``Create(Note)``s as the inbox stores them, from
``--senders`` known remote actors on 5 hosts, 50 by default) are written into ``inbox_items``; then ``--processes`` worker
processes, each running the production ``InboxWorker`` as ``quartiers worker`` does (its claims,
leases and group commit), handle them until none is queued. The same is measured with one
process in the same run: the goal is that two processes handle at least 1.7 times as many items
per second as one (``serve --no-workers`` with two ``quartiers worker``). The workers are started
and connected, and the rows written, before the clock starts; then all are told to go at once.

Beside the time, the CPU seconds the worker processes and the PostgreSQL server's processes
spent during the run (from ``/proc``): on a machine of two cores, the workers and the database
share them, so the speed-up cannot exceed the cores divided by the cores one process's run keeps
busy: that bound is printed beside the speed-up.

A sender's activities are handled in order, whichever process holds them: with few senders and
many activities each, that order, not the processes, sets the pace; ``--senders 500`` shows a
busier city's mix.

Usage: .venv/bin/python bench/inbox_workers.py --postgres URL [--items N] [--processes N]
[--senders N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from inbox_handling import insert_items, seed_actors
from signed_creates import receiving_settings
from sqlalchemy import func, select
from support import POSTGRES_URL_ENV, bench_database, cpu_seconds, report

from federation.client import FederationClient
from inbox.worker import InboxWorker
from instance.runtime import Instance
from quartiers import event_loop
from storage.database import Database
from storage.models import InboxItem
from storage.models.queue import QUEUED

DRAIN_TIMEOUT_S = 600.0
READY = "ready"


@dataclass
class Run:
    processes: int
    items: int
    seconds: float
    handled_per_s: float
    speed_up: float
    workers_cpu_s: float
    postgres_cpu_s: float
    cores_busy: float
    speed_up_bound: float


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


async def work(url: str, schema: str) -> None:
    """One worker process: handle inbox items until told to stop (SIGTERM)."""
    database = Database(url, schema=schema)
    client = FederationClient.create(user_agent="bench", allow_private_addresses=True)
    instance = Instance(settings=receiving_settings(url), database=database, federation=client)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with database.session() as session:
        await session.scalar(select(func.count(InboxItem.id)))  # connected before the clock starts
    print(READY, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # go
    try:
        await InboxWorker(instance).run_forever(stop, idle_seconds=0.05)
    finally:
        await client.aclose()
        await database.dispose()


def start_workers(count: int, url: str, schema: str) -> list[subprocess.Popen[str]]:
    script = Path(__file__).resolve()
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), "--work", url, schema],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for _ in range(count)
    ]
    for worker in workers:
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != READY:
            raise RuntimeError("a worker process did not start")
    return workers


def stop_workers(workers: list[subprocess.Popen[str]]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def server_cpu_since(before: dict[int, float]) -> float:
    """The PostgreSQL server's CPU seconds since ``before`` (its processes' CPU then), counting
    the backends started since in full: the workers' pools open connections as they grow."""
    return sum(cpu_seconds([pid]) - before.get(pid, 0.0) for pid in postgres_pids())


async def anything_queued(database: Database) -> bool:
    """Whether an item is still queued: one probe of the due index, where counting them all
    every 20 ms took a share of the cores the workers are measured on."""
    async with database.session() as session:
        found = await session.scalar(select(InboxItem.id).where(InboxItem.state == QUEUED).limit(1))
    return found is not None


async def measure(
    postgres: str, processes: int, items: int, senders: int
) -> tuple[float, float, float]:
    """Seconds for ``processes`` workers to handle ``items`` rows, in a schema of its own, and
    the CPU seconds of the workers and of PostgreSQL meanwhile."""
    async with bench_database("postgresql", postgres) as database:
        assert database.schema is not None
        await seed_actors(database, receiving_settings(database.url), senders)
        workers = start_workers(processes, postgres, database.schema)
        pids = [worker.pid for worker in workers]
        try:
            await insert_items(database, items, f"p{processes}", senders)
            server_before = {pid: cpu_seconds([pid]) for pid in postgres_pids()}
            workers_before = cpu_seconds(pids)
            started = time.perf_counter()
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write("go\n")
                worker.stdin.flush()
            async with asyncio.timeout(DRAIN_TIMEOUT_S):
                while True:
                    if not await anything_queued(database):
                        break
                    await asyncio.sleep(0.02)
            seconds = time.perf_counter() - started
            return (
                seconds,
                cpu_seconds(pids) - workers_before,
                server_cpu_since(server_before),
            )
        finally:
            stop_workers(workers)


COLUMNS = [
    ("processes", "worker processes"),
    ("items", "items"),
    ("seconds", "s"),
    ("handled_per_s", "handled/s"),
    ("speed_up", "× one process"),
    ("workers_cpu_s", "workers CPU s"),
    ("postgres_cpu_s", "PostgreSQL CPU s"),
    ("cores_busy", "cores busy"),
    ("speed_up_bound", "bound on these cores"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default=os.environ.get(POSTGRES_URL_ENV))
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--work", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.work:
        event_loop.run(work(*args.work))
        return
    if not args.postgres:
        parser.error(f"PostgreSQL is needed: --postgres URL or ${POSTGRES_URL_ENV}")
    runs: list[Run] = []
    for processes in (1, args.processes):
        seconds, workers_cpu, postgres_cpu = event_loop.run(
            measure(args.postgres, processes, args.items, args.senders)
        )
        one = runs[0].seconds if runs else seconds
        cores_busy = (workers_cpu + postgres_cpu) / seconds
        one_busy = runs[0].cores_busy if runs else cores_busy
        runs.append(
            Run(
                processes=processes,
                items=args.items,
                seconds=round(seconds, 2),
                handled_per_s=round(args.items / seconds, 1),
                speed_up=round(one / seconds, 2),
                workers_cpu_s=round(workers_cpu, 2),
                postgres_cpu_s=round(postgres_cpu, 2),
                cores_busy=round(cores_busy, 2),
                # No more than the machine's cores over what one process's run kept busy.
                speed_up_bound=round((os.cpu_count() or 1) / one_busy, 2),
            )
        )
    title = (
        f"inbox handling on PostgreSQL: {args.items} Create(Note) from {args.senders} actors, "
        f"1 and {args.processes} worker processes; goal: {args.processes} processes >= 1.7x one"
    )
    report("inbox_workers", title, runs[::-1], COLUMNS)


if __name__ == "__main__":
    main()
