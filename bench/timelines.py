"""Timelines under load: ``/home`` and ``/local`` with 100,000 posts, beside a static ceiling.

A database (SQLite in a temporary folder, and PostgreSQL too with ``--postgres URL``) is
migrated and bulk-filled: ``--actors`` actors (nine in ten local), ``--posts`` posts spread over
them (90 % public, 7 % followers-only, 3 % mentioned-only), and one resident who follows
``--follows`` of them. The server is ``create_app(settings)`` under uvicorn, one worker, no
queue workers, on 127.0.0.1 — as in production — wrapped in a tiny ASGI timer that records how
long each request spends inside the application (from the call to the last body byte).

A load generator in this process (raw HTTP/1.1 keep-alive over asyncio streams, so the client
costs little) sends ``--requests`` GETs per target over ``--concurrency`` connections, with the
resident's session cookie (built like ``tests/webui/web_support.session_cookie``), after a
warm-up. Reported per target: pages/s seen by the client, and p50/p95/p99 of the server-side time
measured inside the app (under that concurrency, so it includes waiting for the event loop),
and p50/p95 "alone": the same page requested one at a time, the service time of one request.
The ceiling is ``/static/quartiers.css`` on the same server in the same run.

Usage: .venv/bin/python bench/timelines.py [--postgres URL] [--posts N] [--requests N]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from base64 import b64encode
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from support import free_port

from quartiers import event_loop

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-" + "x" * 40
DOMAIN = "bench.local"
BATCH = 5000
WARMUP = 200
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 30.0
GOAL_P95_MS = 15.0
GOAL_PAGES_PER_S = 1500
TIMINGS_PATH = "/__bench_timings"


def bench_settings(database_url: str) -> Any:
    from config.settings import (
        DatabaseSettings,
        FederationSettings,
        ServerSettings,
        Settings,
        WebUISettings,
    )

    return Settings(
        server=ServerSettings(name="Quartier Bench", domain=DOMAIN, scheme="http"),
        database=DatabaseSettings(url=database_url),
        federation=FederationSettings(allow_private_addresses=True),
        webui=WebUISettings(secret_key=SECRET),
    )


def session_cookie(session_token: str, csrf: str) -> str:
    from itsdangerous import TimestampSigner

    from webui.session import SESSION_TOKEN

    data = {SESSION_TOKEN: session_token, "csrf": csrf}
    payload = b64encode(json.dumps(data).encode())
    return TimestampSigner(SECRET).sign(payload).decode()


# --- filling the database ------------------------------------------------------------------


async def fill(database_url: str, schema: str | None, args: argparse.Namespace) -> str:
    """Migrate and fill; returns the session token of the resident whose home is measured."""
    from sqlalchemy import insert

    from actors.services import create_account, ensure_instance_actor
    from actors.web_sessions import open_session
    from storage import migrate
    from storage.database import Database
    from storage.models import Actor, Follow, Post

    settings = bench_settings(database_url)
    database = Database(database_url, schema=schema)
    rng = random.Random(42)
    try:
        await migrate.upgrade(database)
        async with database.transaction() as session:
            await ensure_instance_actor(session, settings)
            account = await create_account(session, settings, "lecteur", "password123")
            viewer_actor_id = account.actor_id
            session_token = await open_session(session, account.id, "bench")
        base = settings.base_url
        actors = []
        for n in range(args.actors):
            is_local = n % 10 != 9
            domain = DOMAIN if is_local else f"voisin{n % 7}.test"
            uri = f"{base}/@u{n}" if is_local else f"http://{domain}/users/u{n}"
            actors.append(
                {
                    "uri": uri,
                    "type": "Person",
                    "username": f"u{n}",
                    "domain": domain,
                    "is_local": is_local,
                    "name": f"Habitant·e {n}",
                    "url": uri,
                    "inbox_uri": f"{uri}/inbox",
                    "followers_uri": f"{uri}/followers",
                    "public_key_id": f"{uri}#main-key",
                    "public_key_pem": "-",
                }
            )
        async with database.transaction() as session:
            await session.execute(insert(Actor), actors)
        async with database.session() as session:
            from sqlalchemy import select

            rows = (
                await session.execute(
                    select(Actor.id, Actor.is_local).where(Actor.username.like("u%"))
                )
            ).all()
        ids = [(actor_id, is_local) for actor_id, is_local in rows]
        followed = rng.sample([actor_id for actor_id, _ in ids], args.follows)
        async with database.transaction() as session:
            await session.execute(
                insert(Follow),
                [
                    {
                        "uri": f"{base}/follows/{n}",
                        "follower_id": viewer_actor_id,
                        "followed_id": actor_id,
                        "state": "accepted",
                    }
                    for n, actor_id in enumerate(followed)
                ],
            )
        start = datetime.now(UTC) - timedelta(minutes=args.posts)
        visibilities = ["public"] * 90 + ["followers"] * 7 + ["mentioned"] * 3
        for first in range(0, args.posts, BATCH):
            batch = []
            for n in range(first, min(first + BATCH, args.posts)):
                actor_id, is_local = ids[rng.randrange(len(ids))]
                uri = f"{base}/posts/{uuid.uuid4()}" if is_local else f"http://r.test/n/{n}"
                batch.append(
                    {
                        "uri": uri,
                        "type": "Note",
                        "actor_id": actor_id,
                        "is_local": is_local,
                        "url": uri,
                        "content_html": (
                            f"<p>Message {n} du quartier : on cherche des bras pour le "
                            f"jardin partagé samedi, apportez vos outils ! #jardin</p>"
                        ),
                        "language": "fr",
                        "visibility": rng.choice(visibilities),
                        "is_sensitive": False,
                        "published": start + timedelta(minutes=n),
                    }
                )
            async with database.transaction() as session:
                await session.execute(insert(Post), batch)
        if not database.is_sqlite:
            async with database.transaction() as session:
                from sqlalchemy import text

                await session.execute(text("ANALYZE"))
        else:
            async with database.transaction() as session:
                from sqlalchemy import text

                await session.execute(text("ANALYZE"))
        return session_token
    finally:
        await database.dispose()


# --- the server ----------------------------------------------------------------------------


PROFILE_ENV = "BENCH_PROFILE"
"""When set, the server process is profiled (cProfile) into the file it names."""


def serve(database_url: str, schema: str | None, port: int) -> None:
    """Subprocess mode: the app under uvicorn, wrapped in the timer."""
    import uvicorn

    from quartiers.app import create_app
    from storage.database import Database

    settings = bench_settings(database_url)
    app = create_app(settings, database=Database(database_url, schema=schema), run_workers=False)
    timings: dict[str, list[float]] = {}

    async def timed(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path = scope["path"]
        if path == TIMINGS_PATH:
            body = json.dumps(timings).encode()
            timings.clear()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        started = time.perf_counter()
        await app(scope, receive, send)
        timings.setdefault(path, []).append((time.perf_counter() - started) * 1000)

    def run() -> None:
        uvicorn.run(
            timed,
            host="127.0.0.1",
            port=port,
            workers=1,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )

    profile_to = os.environ.get(PROFILE_ENV)
    if not profile_to:
        run()
        return
    import cProfile

    profile = cProfile.Profile()
    profile.runcall(run)
    profile.dump_stats(profile_to)


async def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start in time")


# --- the load generator --------------------------------------------------------------------


async def get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


def build_request(path: str, cookie: str | None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {DOMAIN}", "Accept: text/html"]
    if cookie:
        lines.append(f"Cookie: quartiers_session={cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def load(port: int, requests: list[bytes], concurrency: int) -> tuple[float, dict[int, int]]:
    """Send every request over ``concurrency`` keep-alive connections; returns seconds, statuses."""
    queue = list(reversed(requests))
    statuses: dict[int, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue:
                request = queue.pop()
                status, _ = await asyncio.wait_for(get(reader, writer, request), REQUEST_TIMEOUT_S)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, statuses


async def server_timings(port: int) -> dict[str, list[float]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        _, body = await get(reader, writer, build_request(TIMINGS_PATH, None))
    finally:
        writer.close()
    data: dict[str, list[float]] = json.loads(body)
    return data


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(
    port: int, label: str, path: str, cookie: str | list[str] | None, args: argparse.Namespace
) -> dict[str, Any]:
    """``path`` read under load then one at a time; with a list of cookies, each request is
    that of the next reader in turn."""
    cookies: list[str | None] = list(cookie) if isinstance(cookie, list) else [cookie]

    def requests(count: int) -> list[bytes]:
        return [build_request(path, cookies[n % len(cookies)]) for n in range(count)]

    await load(port, requests(WARMUP), args.concurrency)
    await server_timings(port)
    # Keyset pages: most readers read the first page, some go further back.
    seconds, statuses = await load(port, requests(args.requests), args.concurrency)
    route = path.split("?", 1)[0]  # the timer keys requests by path, without the query
    timings = (await server_timings(port)).get(route, [])
    # The same page one at a time: the service time of one request, without queueing.
    await load(port, requests(args.sequential), 1)
    alone = (await server_timings(port)).get(route, [])
    return {
        "target": label,
        "path": path,
        "requests": args.requests,
        "statuses": statuses,
        "pages_per_s": round(args.requests / seconds, 1),
        "p50_ms": round(percentile(timings, 0.50), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
        "alone_p50_ms": round(percentile(alone, 0.50), 2),
        "alone_p95_ms": round(percentile(alone, 0.95), 2),
    }


async def run_one(
    database: str, url: str, schema: str | None, args: argparse.Namespace
) -> list[dict[str, Any]]:
    filled_at = time.perf_counter()
    session_token = await fill(url, schema, args)
    fill_s = time.perf_counter() - filled_at
    cookie = session_cookie(session_token, secrets.token_urlsafe(16))
    port = free_port()
    command = [sys.executable, __file__, "--serve", url, "--port", str(port)]
    if schema:
        command += ["--schema", schema]
    process = await asyncio.to_thread(subprocess.Popen, command, cwd=ROOT)
    try:
        await wait_ready(port, process)
        results = []
        for label, path, with_cookie in (
            ("ceiling (static CSS)", "/static/quartiers.css", False),
            ("home (/home)", "/home", True),
            ("quartier (/local)", "/local", True),
            ("quartier, anonymous", "/local", False),
        ):
            result = await measure(port, label, path, cookie if with_cookie else None, args)
            result["database"] = database
            result["fill_s"] = round(fill_s, 1)
            results.append(result)
        return results
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def main(args: argparse.Namespace) -> None:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-timelines-") as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.sqlite"
        results += await run_one("sqlite", url, None, args)
    postgres = args.postgres
    if postgres:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_async_engine(postgres)
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            results += await run_one("postgresql", postgres, schema, args)
        finally:
            async with admin.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()
    print(
        f"{'database':<11} {'target':<22} {'pages/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'alone p50':>10} {'alone p95':>10}  statuses"
    )
    for r in results:
        print(
            f"{r['database']:<11} {r['target']:<22} {r['pages_per_s']:>9} {r['p50_ms']:>8} "
            f"{r['p95_ms']:>8} {r['p99_ms']:>8} {r['alone_p50_ms']:>10} {r['alone_p95_ms']:>10}"
            f"  {r['statuses']}"
        )
    print(
        f"({args.posts} posts, {args.actors} actors, home follows {args.follows}; "
        f"{args.requests} requests per target over {args.concurrency} connections; "
        f"server-side time measured inside the app, under that concurrency and 'alone' over "
        f"{args.sequential} sequential requests; goal p95 <= {GOAL_P95_MS} ms and "
        f">= {GOAL_PAGES_PER_S} pages/s)"
    )
    print(
        json.dumps(
            {
                "bench": "timelines",
                "posts": args.posts,
                "actors": args.actors,
                "follows": args.follows,
                "concurrency": args.concurrency,
                "timing": "server-side, inside the app (ASGI wrapper)",
                "goal": {"p95_ms": GOAL_P95_MS, "pages_per_s": GOAL_PAGES_PER_S},
                "results": results,
            }
        )
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--postgres", default=os.environ.get("QUARTIERS_TEST_DATABASE_URL"))
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--actors", type=int, default=1_000)
    parser.add_argument("--follows", type=int, default=100)
    parser.add_argument("--requests", type=int, default=3_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.serve:
        serve(arguments.serve, arguments.schema, arguments.port)
    else:
        event_loop.run(main(arguments))
