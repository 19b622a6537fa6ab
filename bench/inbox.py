"""Inbox throughput: signed ``Create(Note)`` POSTs to the shared inbox, beside a bare ceiling.

The server is started as in production: `create_app(settings)` under uvicorn, one process, no
in-process queue workers (`quartiers serve --no-workers`), on 127.0.0.1. Before the timed phase,
50 remote actors (with their keys) are inserted into its database, so no key is fetched during
the run, and every request is built and signed with draft-cavage (unique activity ids, Digest,
Date, `Host: bench.local`) as raw HTTP/1.1 bytes. A load generator in this process (plain asyncio
streams on uvloop, keep-alive, ``--concurrency`` connections) replays them for ``--requests``
requests or ``--max-seconds``, whichever comes first, and measures each request's latency.

The ceiling is a bare Starlette endpoint (``POST`` → 202 after reading the body) under the same
uvicorn stack, hit with the same bytes by the same client. Afterwards the number of
``inbox_items`` rows must equal the number of 202 answers.

Usage: .venv/bin/python bench/inbox.py [--postgres URL] [--requests N] [--profile]
Without --postgres, QUARTIERS_TEST_DATABASE_URL is used when set. The last line printed is one
JSON object with the figures.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from http_load import Outcome, run_load
from inbox_server import SERVER_SCRIPT, count_rows, drop_schema, prepare_database
from signed_creates import RemoteActor, make_actors, sign_all
from support import cpu_seconds, database_kinds, free_port, report, running

from quartiers import event_loop

ACTORS = 50
WARMUP = 500
GOAL_PER_SECOND = 4000
GOAL_SHARE_OF_CEILING = 0.25
GOAL_P99_MS = 50.0

CEILING_APP = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

async def inbox(request):
    await request.body()
    return Response(status_code=202)

app = Starlette(routes=[Route("/inbox", inbox, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


# --------------------------------------------------------------------------- one backend


@dataclass
class Figures:
    backend: str
    outcome: Outcome
    accepted_202: int
    rows: int
    server_cpu_s: float

    @property
    def per_second(self) -> float:
        return self.outcome.statuses.get(202, 0) / self.outcome.seconds


def measure_backend(
    backend: str,
    url: str,
    schema: str | None,
    actors: list[RemoteActor],
    requests: list[bytes],
    arguments: argparse.Namespace,
) -> Figures:
    event_loop.run(prepare_database(url, schema, actors))
    port = free_port()
    command = [sys.executable, SERVER_SCRIPT, str(port), "--database-url", url]
    if schema:
        command += ["--schema", schema]
    profile = None
    if arguments.profile:
        profile = str(Path(tempfile.gettempdir()) / f"bench-inbox-{backend}.prof")
        command += ["--profile-to", profile]
    warmup, timed = requests[:WARMUP], requests[WARMUP:]
    with running(command, port) as server:
        warm = run_load(port, warmup, arguments.concurrency, arguments.max_seconds)
        cpu_before = cpu_seconds([server.pid])
        outcome = run_load(port, timed, arguments.concurrency, arguments.max_seconds)
        server_cpu = cpu_seconds([server.pid]) - cpu_before
    accepted = warm.statuses.get(202, 0) + outcome.statuses.get(202, 0)
    rows = event_loop.run(count_rows(url, schema))
    if profile:
        print_profile(profile)
    return Figures(backend, outcome, accepted, rows, server_cpu)


def measure_ceiling(requests: list[bytes], arguments: argparse.Namespace) -> tuple[Outcome, float]:
    """The bare endpoint's outcome and its server's CPU seconds during the timed requests."""
    port = free_port()
    with running([sys.executable, "-c", CEILING_APP, str(port)], port) as server:
        run_load(port, requests[:WARMUP], arguments.concurrency, arguments.max_seconds)
        cpu_before = cpu_seconds([server.pid])
        outcome = run_load(port, requests[WARMUP:], arguments.concurrency, arguments.max_seconds)
        return outcome, cpu_seconds([server.pid]) - cpu_before


def print_profile(path: str) -> None:
    import pstats

    print(f"\n--- server profile ({path}), by own time ---")
    pstats.Stats(path).sort_stats("tottime").print_stats(25)


# --------------------------------------------------------------------------- report


def figures_of(
    label: str, outcome: Outcome, per_second: float, ceiling: float, server_cpu_s: float
) -> dict[str, Any]:
    return {
        "run": label,
        "requests": outcome.count,
        "accepted_per_second": round(per_second),
        "ceiling_per_second": round(ceiling),
        "share_of_ceiling": round(per_second / ceiling, 3) if ceiling else 0.0,
        "p50_ms": round(outcome.percentile(0.5), 2),
        "p99_ms": round(outcome.percentile(0.99), 2),
        "server_cpu_us_per_request": round(1e6 * server_cpu_s / outcome.count)
        if outcome.count
        else 0,
        "errors": outcome.errors,
    }


COLUMNS = [
    ("run", "run"),
    ("requests", "requests"),
    ("accepted_per_second", "202/s"),
    ("ceiling_per_second", "ceiling/s"),
    ("share_of_ceiling", "share"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("server_cpu_us_per_request", "server CPU µs/request"),
    ("rows_equal_202s", "rows = 202s"),
    ("other_statuses", "other statuses"),
    ("meets_goal", "goal met"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--postgres", help="PostgreSQL URL (default: $QUARTIERS_TEST_DATABASE_URL)")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--profile", action="store_true", help="cProfile the server")
    arguments = parser.parse_args()

    _kinds, postgres = database_kinds(arguments.postgres)
    total = arguments.requests + WARMUP
    prepared = time.perf_counter()
    actors = make_actors(ACTORS)
    requests = sign_all(actors, total)
    print(
        f"prepared {ACTORS} actors and {total} signed requests "
        f"in {time.perf_counter() - prepared:.1f} s; {os.cpu_count()} CPUs, "
        f"{arguments.concurrency} connections",
        flush=True,
    )

    ceiling, ceiling_cpu = measure_ceiling(requests, arguments)
    ceiling_rate = ceiling.statuses.get(202, 0) / ceiling.seconds
    results: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="bench-inbox-") as folder:
        sqlite_url = f"sqlite+aiosqlite:///{Path(folder) / 'inbox.sqlite'}"
        results.append(measure_backend("sqlite", sqlite_url, None, actors, requests, arguments))
    if postgres:
        schema = f"bench_{secrets.token_hex(4)}"
        try:
            results.append(
                measure_backend("postgresql", postgres, schema, actors, requests, arguments)
            )
        finally:
            event_loop.run(drop_schema(postgres, schema))

    runs = [figures_of("ceiling (bare 202)", ceiling, ceiling_rate, ceiling_rate, ceiling_cpu)]
    for figures in results:
        outcome = figures.outcome
        others = {str(s): n for s, n in outcome.statuses.items() if s != 202}
        run = figures_of(
            f"inbox on {figures.backend}",
            outcome,
            figures.per_second,
            ceiling_rate,
            figures.server_cpu_s,
        )
        run["rows_equal_202s"] = figures.rows == figures.accepted_202
        run["other_statuses"] = others
        run["meets_goal"] = (
            run["accepted_per_second"] >= GOAL_PER_SECOND
            and run["share_of_ceiling"] >= GOAL_SHARE_OF_CEILING
            and run["p99_ms"] <= GOAL_P99_MS
        )
        runs.append(run)
    title = (
        f"inbox: signed Create(Note) to the shared inbox, {os.cpu_count()} CPUs, "
        f"{arguments.concurrency} connections; goal >= {GOAL_PER_SECOND}/s, "
        f">= {GOAL_SHARE_OF_CEILING:.0%} of the ceiling, p99 <= {GOAL_P99_MS:.0f} ms"
    )
    report("inbox", title, runs, COLUMNS)


if __name__ == "__main__":
    main()
