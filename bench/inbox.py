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
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOST_HEADER = "bench.local"
ACTORS = 50
ACTOR_HOSTS = 5
WARMUP = 500
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 10.0
GOAL_PER_SECOND = 4000
GOAL_SHARE_OF_CEILING = 0.20
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


# --------------------------------------------------------------------------- the server side


def serve(port: int, database_url: str, schema: str | None, profile: str | None) -> None:
    """Run the real application under uvicorn in this (sub)process until SIGTERM."""
    import uvicorn

    from quartiers.app import create_app
    from storage.database import Database

    settings = bench_settings(database_url)
    database = Database(database_url, schema=schema)
    app = create_app(settings, database=database, run_workers=False)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        proxy_headers=True,
        log_level="warning",
        access_log=False,
    )
    if profile is None:
        uvicorn.Server(config).run()
        return
    import cProfile

    class ProfiledServer(uvicorn.Server):
        """uvicorn re-raises SIGTERM once stopped, which would lose the profile: just stop."""

        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            signal.signal(signal.SIGTERM, lambda *_: setattr(self, "should_exit", True))
            yield

    server = ProfiledServer(config)

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        server.run()
    finally:
        profiler.disable()
        profiler.dump_stats(profile)


def bench_settings(database_url: str) -> Any:
    from config.settings import DatabaseSettings, ServerSettings, Settings, WebUISettings

    return Settings(
        server=ServerSettings(name="Bench", domain=HOST_HEADER, scheme="http"),
        database=DatabaseSettings(url=database_url),
        webui=WebUISettings(secret_key="bench-secret-" + "x" * 40),
    )


# --------------------------------------------------------------------------- preparation


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    key_id: str
    public_pem: str
    private_pem: str


def make_actors(count: int) -> list[RemoteActor]:
    from federation.keys import generate_rsa_keypair

    actors = []
    for index in range(count):
        keys = generate_rsa_keypair()
        uri = f"https://remote{index % ACTOR_HOSTS}.example/users/u{index}"
        actors.append(RemoteActor(uri, f"{uri}#main-key", keys.public_pem, keys.private_pem))
    return actors


def build_create(actor_uri: str, serial: int, run: str) -> bytes:
    note_uri = f"{actor_uri}/statuses/{run}{serial}"
    activity = {
        "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
        "id": f"{note_uri}/activity",
        "type": "Create",
        "actor": actor_uri,
        "published": "2026-11-05T11:46:50Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{actor_uri}/followers"],
        "object": {
            "id": note_uri,
            "type": "Note",
            "summary": None,
            "inReplyTo": None,
            "published": "2026-11-05T11:46:50Z",
            "url": note_uri.replace("/users/", "/@"),
            "attributedTo": actor_uri,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [f"{actor_uri}/followers"],
            "sensitive": False,
            "content": (
                "<p>Samedi au <strong>Repair Café</strong> des Pâquis : vélos, grille-pain et "
                "machines à coudre, de 10h à 16h. Venez avec vos objets cassés ! "
                f'<a href="https://paquis.example/tags/repair">#repair</a> n°{serial}</p>'
            ),
            "contentMap": {"fr": "<p>Samedi au Repair Café des Pâquis…</p>"},
            "attachment": [],
            "tag": [
                {"type": "Hashtag", "href": "https://paquis.example/tags/repair", "name": "#repair"}
            ],
        },
    }
    return json.dumps(activity, ensure_ascii=False).encode()


def sign_chunk(job: tuple[list[RemoteActor], int, int, str]) -> list[bytes]:
    """Raw HTTP/1.1 requests ``start..stop``, each signed by actor ``serial % len(actors)``."""
    from federation.signatures import Scheme, sign_request

    actors, start, stop, run = job
    requests = []
    for serial in range(start, stop):
        actor = actors[serial % len(actors)]
        body = build_create(actor.uri, serial, run)
        base = {"Content-Type": "application/activity+json"}
        signed = sign_request(
            "POST",
            f"http://{HOST_HEADER}/inbox",
            base,
            body,
            actor.key_id,
            actor.private_pem,
            Scheme.CAVAGE,
        )
        headers = {**base, **signed, "Content-Length": str(len(body))}
        head = "POST /inbox HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        requests.append(head.encode() + b"\r\n" + body)
    return requests


def sign_all(actors: list[RemoteActor], count: int) -> list[bytes]:
    run = uuid.uuid4().hex[:8]
    workers = max(os.cpu_count() or 1, 1)
    size = max(count // (workers * 4), 1)
    jobs = [(actors, start, min(start + size, count), run) for start in range(0, count, size)]
    with ProcessPoolExecutor(workers) as pool:
        return [request for chunk in pool.map(sign_chunk, jobs) for request in chunk]


async def prepare_database(url: str, schema: str | None, actors: list[RemoteActor]) -> None:
    from sqlalchemy import insert, text
    from sqlalchemy.ext.asyncio import create_async_engine

    from actors.services import ensure_instance_actor
    from storage import migrate
    from storage.database import Database
    from storage.models import Actor, utcnow

    if schema:
        admin = create_async_engine(url)
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
    database = Database(url, schema=schema)
    try:
        await migrate.upgrade(database)
        async with database.transaction() as session:
            await ensure_instance_actor(session, bench_settings(url))
            now = utcnow()
            await session.execute(
                insert(Actor),
                [
                    {
                        "uri": actor.uri,
                        "type": "Person",
                        "username": actor.uri.rsplit("/", 1)[-1],
                        "domain": actor.uri.split("/")[2],
                        "is_local": False,
                        "name": actor.uri.rsplit("/", 1)[-1],
                        "summary": "",
                        "inbox_uri": f"{actor.uri}/inbox",
                        "shared_inbox_uri": f"https://{actor.uri.split('/')[2]}/inbox",
                        "followers_uri": f"{actor.uri}/followers",
                        "public_key_id": actor.key_id,
                        "public_key_pem": actor.public_pem,
                        "manually_approves_followers": False,
                        "is_gone": False,
                        "fetched_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for actor in actors
                ],
            )
    finally:
        await database.dispose()


async def count_rows(url: str, schema: str | None) -> int:
    from sqlalchemy import func, select

    from storage.database import Database
    from storage.models import InboxItem

    database = Database(url, schema=schema)
    try:
        async with database.session() as session:
            return await session.scalar(select(func.count()).select_from(InboxItem)) or 0
    finally:
        await database.dispose()


async def drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(url)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {START_TIMEOUT_S} s")


@contextmanager
def running(command: list[str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        wait_listening(port, process)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT_S)


# --------------------------------------------------------------------------- the load generator


@dataclass
class Outcome:
    statuses: dict[int, int]
    latencies: list[float]
    seconds: float
    errors: int

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(int(share * len(ordered)), len(ordered) - 1)] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding":
            raise RuntimeError("chunked answers are not expected here")
    if length:
        await reader.readexactly(length)
    return status


async def blast(port: int, requests: list[bytes], concurrency: int, max_seconds: float) -> Outcome:
    """Send ``requests`` over ``concurrency`` keep-alive connections, each once."""
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    errors = 0
    position = 0
    deadline = time.perf_counter() + max_seconds

    async def connection() -> None:
        nonlocal position, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while position < len(requests) and time.perf_counter() < deadline:
                request = requests[position]
                position += 1
                started = time.perf_counter()
                writer.write(request)
                try:
                    status = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_S)
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return Outcome(statuses, latencies, time.perf_counter() - started, errors)


def run_load(port: int, requests: list[bytes], concurrency: int, max_seconds: float) -> Outcome:
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(blast(port, requests, concurrency, max_seconds))


# --------------------------------------------------------------------------- one backend


@dataclass
class Figures:
    backend: str
    outcome: Outcome
    accepted_202: int
    rows: int

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
    asyncio.run(prepare_database(url, schema, actors))
    port = free_port()
    command = [sys.executable, __file__, "--serve", str(port), "--database-url", url]
    if schema:
        command += ["--schema", schema]
    profile = None
    if arguments.profile:
        profile = str(Path(tempfile.gettempdir()) / f"bench-inbox-{backend}.prof")
        command += ["--profile-to", profile]
    warmup, timed = requests[:WARMUP], requests[WARMUP:]
    with running(command, port):
        warm = run_load(port, warmup, arguments.concurrency, arguments.max_seconds)
        outcome = run_load(port, timed, arguments.concurrency, arguments.max_seconds)
    accepted = warm.statuses.get(202, 0) + outcome.statuses.get(202, 0)
    rows = asyncio.run(count_rows(url, schema))
    if profile:
        print_profile(profile)
    return Figures(backend, outcome, accepted, rows)


def measure_ceiling(requests: list[bytes], arguments: argparse.Namespace) -> Outcome:
    port = free_port()
    with running([sys.executable, "-c", CEILING_APP, str(port)], port):
        run_load(port, requests[:WARMUP], arguments.concurrency, arguments.max_seconds)
        return run_load(port, requests[WARMUP:], arguments.concurrency, arguments.max_seconds)


def print_profile(path: str) -> None:
    import pstats

    print(f"\n--- server profile ({path}), by own time ---")
    pstats.Stats(path).sort_stats("tottime").print_stats(25)


# --------------------------------------------------------------------------- report


def row(label: str, outcome: Outcome, per_second: float, ceiling: float, extra: str) -> str:
    share = per_second / ceiling if ceiling else float("nan")
    return (
        f"{label:<22} {outcome.count:>8} {per_second:>10.0f} {share:>8.0%} "
        f"{outcome.percentile(0.50):>8.2f} {outcome.percentile(0.99):>8.2f}  {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--postgres", help="PostgreSQL URL (postgresql+asyncpg://…)")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--profile", action="store_true", help="cProfile the server")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve(arguments.serve, arguments.database_url, arguments.schema, arguments.profile_to)
        return

    postgres = arguments.postgres or os.environ.get("QUARTIERS_TEST_DATABASE_URL") or None
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

    ceiling = measure_ceiling(requests, arguments)
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
            asyncio.run(drop_schema(postgres, schema))

    print()
    print(f"{'run':<22} {'requests':>8} {'202/s':>10} {'ceiling':>8} {'p50 ms':>8} {'p99 ms':>8}")
    print(row("ceiling (bare 202)", ceiling, ceiling_rate, ceiling_rate, ""))
    summary: dict[str, Any] = {
        "bench": "inbox",
        "cpus": os.cpu_count(),
        "concurrency": arguments.concurrency,
        "ceiling": {
            "per_second": round(ceiling_rate),
            "p50_ms": round(ceiling.percentile(0.5), 2),
            "p99_ms": round(ceiling.percentile(0.99), 2),
        },
        "goal": {
            "per_second": GOAL_PER_SECOND,
            "share_of_ceiling": GOAL_SHARE_OF_CEILING,
            "p99_ms": GOAL_P99_MS,
        },
    }
    for figures in results:
        outcome = figures.outcome
        others = {s: n for s, n in outcome.statuses.items() if s != 202}
        persisted = figures.rows == figures.accepted_202
        share = figures.per_second / ceiling_rate if ceiling_rate else 0.0
        meets = (
            figures.per_second >= GOAL_PER_SECOND
            and share >= GOAL_SHARE_OF_CEILING
            and outcome.percentile(0.99) <= GOAL_P99_MS
        )
        extra = (
            f"rows {figures.rows} / 202s {figures.accepted_202} "
            f"{'ok' if persisted else 'MISMATCH'}"
            + (f", other statuses {others}" if others else "")
            + (f", {outcome.errors} connection errors" if outcome.errors else "")
        )
        print(row(f"inbox on {figures.backend}", outcome, figures.per_second, ceiling_rate, extra))
        summary[figures.backend] = {
            "requests": outcome.count,
            "accepted_per_second": round(figures.per_second),
            "share_of_ceiling": round(share, 3),
            "p50_ms": round(outcome.percentile(0.5), 2),
            "p99_ms": round(outcome.percentile(0.99), 2),
            "rows_equal_202s": persisted,
            "other_statuses": {str(s): n for s, n in others.items()},
            "meets_goal": meets,
        }
    print(
        f"goal: >= {GOAL_PER_SECOND}/s per worker process, >= {GOAL_SHARE_OF_CEILING:.0%} of the "
        f"ceiling, p99 <= {GOAL_P99_MS:.0f} ms"
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
