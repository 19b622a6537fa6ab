"""The city agenda under load: a month of a city of 20 instances, and an iCalendar of 1,000 events.

Seeds 50,000 events (20 remote hosts × 10 organisers, plus 5 local collectives; spread over
2026; about 5 % weekly series, most of them bounded by COUNT or UNTIL; the 20 hosts are
neighbour quartiers with a name, one left out of the city views by the admin, so the agenda
labels each item with its quartier and leaves that one out) into a fresh SQLite file
(or a PostgreSQL schema with --postgres URL), writes their dates with the function every event
write goes through (``commons.events.dates.refresh_occurrences``), serves
``quartiers.app.create_app`` with uvicorn (one process, on 127.0.0.1), and measures the server
time (``Server-Timing``, added by a small ASGI wrapper of the bench, from request to response
start) of ``GET /agenda/city?view=month``, one request at a time (what a request costs) and
``--concurrency`` at a time (the throughput of one process; the p95 there is mostly queueing),
beside a static file of the same server (the ceiling); the month narrowed to one quartier; the
month and that view again at addresses of their own, so that each is built (the other rows are
mostly answered by the pages kept for visitors, ``webui/visitor_pages.py``); then
the time to build an iCalendar of 1,000 events in-process (median of 20).

Usage: .venv/bin/python bench/agenda.py [--events 50000] [--requests 300] [--concurrency 8]
                                         [--postgres postgresql+asyncpg://…]
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
from sqlalchemy import insert, select, text
from support import free_port, neighbour_rows

from quartiers import event_loop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from commons.agenda.feeds import FeedEntry, build_calendar  # noqa: E402
from commons.agenda.queries import AgendaQuery, feed_events  # noqa: E402
from commons.events.dates import refresh_occurrences  # noqa: E402
from storage import migrate  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import Actor, Event, Host  # noqa: E402

GENEVA = ZoneInfo("Europe/Zurich")
HOSTS = 20
ORGANISERS_PER_HOST = 10
LOCAL_COLLECTIVES = 5
SERIES_SHARE = 0.05
MONTH = date(2026, 6, 1)
DOMAIN = "paquis.bench"
GOAL_MONTH_P95_MS = 20.0
GOAL_ICAL_MS = 100.0
START_TIMEOUT_S = 30.0
# The window indexes of migration 0006 (a covering partial index for one-off events, a partial
# one for series); --without-proposed-indexes drops them to measure what they bring.
WINDOW_INDEXES = ("ix_events_one_off_window", "ix_events_series_start")

SERVER = """
import sys, time, uvicorn
from quartiers.app import create_app
from config.settings import Settings, ServerSettings, DatabaseSettings, WebUISettings
from storage.database import Database
from quartiers.long_lived import freeze_startup_objects

url, schema, port = sys.argv[1], sys.argv[2] or None, int(sys.argv[3])
settings = Settings(
    server=ServerSettings(name="Bench", domain=sys.argv[4], scheme="http"),
    database=DatabaseSettings(url=url),
    webui=WebUISettings(secret_key="bench-secret-" + "x" * 40),
)
app = create_app(settings, database=Database(url, schema=schema))
freeze_startup_objects()  # as `quartiers serve` does

async def timed(scope, receive, send):
    if scope["type"] != "http":
        return await app(scope, receive, send)
    started = time.perf_counter()
    async def sending(message):
        if message["type"] == "http.response.start":
            spent = (time.perf_counter() - started) * 1000
            headers = list(message.get("headers", []))
            headers.append((b"server-timing", f"app;dur={spent:.3f}".encode()))
            message = {**message, "headers": headers}
        await send(message)
    await app(scope, receive, sending)

uvicorn.run(timed, host="127.0.0.1", port=port, log_level="warning", access_log=False,
            lifespan="on")
"""


def actor_row(username: str, domain: str, is_local: bool) -> dict[str, Any]:
    uri = f"http://{domain}/@{username}" if is_local else f"https://{domain}/c/{username}"
    return {
        "uri": uri,
        "type": "Group",
        "username": username,
        "domain": domain,
        "is_local": is_local,
        "name": username.replace("-", " ").title(),
        "url": uri,
        "inbox_uri": f"{uri}/inbox",
        "public_key_id": f"{uri}#main-key",
        "public_key_pem": "-",
        "group_kind": "space",
        "created_at": datetime(2025, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
    }


def series_rule(randomness: random.Random, start: datetime) -> str:
    roll = randomness.random()
    if roll < 0.6:
        return f"FREQ=WEEKLY;COUNT={randomness.randint(4, 12)}"
    if roll < 0.9:
        until = start + timedelta(days=randomness.randint(30, 120))
        return f"FREQ=WEEKLY;UNTIL={until:%Y%m%dT%H%M%SZ}"
    return "FREQ=WEEKLY"


async def seed(database: Database, total: int, *, indexes: bool) -> dict[str, int]:
    """Bulk-insert the organisers and ``total`` events; returns counts."""
    await migrate.upgrade(database, "head")
    randomness = random.Random(2026)
    actors = [actor_row(f"collectif-{n}", DOMAIN, True) for n in range(LOCAL_COLLECTIVES)]
    actors += [
        actor_row(f"orga-{h}-{n}", f"quartier{h}.bench", False)
        for h in range(HOSTS)
        for n in range(ORGANISERS_PER_HOST)
    ]
    async with database.transaction() as session:
        await session.execute(insert(Actor), actors)
        await session.execute(
            insert(Host), neighbour_rows([f"quartier{h}.bench" for h in range(HOSTS)])
        )
        ids = [
            (row.id, row.is_local, row.domain)
            for row in await session.execute(text("SELECT id, is_local, domain FROM actors"))
        ]
    categories = ["repair", "debate", "garden", "music", "kids", "walk", "food", None]
    year_start = datetime(2026, 1, 1, tzinfo=GENEVA)
    series = 0
    rows: list[dict[str, Any]] = []
    for n in range(total):
        actor_id, is_local, domain = ids[n % len(ids)] if n % 10 else ids[n % LOCAL_COLLECTIVES]
        local = year_start + timedelta(
            days=randomness.randrange(365), hours=randomness.randint(8, 20)
        )
        start = local.astimezone(UTC)
        rule = series_rule(randomness, start) if randomness.random() < SERIES_SHARE else None
        series += rule is not None
        base = f"http://{DOMAIN}" if is_local else f"https://{domain}"
        rows.append(
            {
                "uri": f"{base}/events/{n:08d}-bench",
                "url": f"{base}/events/{n:08d}-bench",
                "actor_id": actor_id,
                "is_local": is_local,
                "title": f"Événement {n} du quartier",
                "description_html": "<p>Une rencontre ouverte à toutes et tous.</p>",
                "start_time": start,
                "end_time": start + timedelta(hours=2),
                "timezone": "Europe/Zurich",
                "rrule": rule,
                "place_name": "Maison de quartier",
                "locality": "Genève",
                "latitude": 46.2 + randomness.random() / 50,
                "longitude": 6.13 + randomness.random() / 50,
                "category": randomness.choice(categories),
                "status": "cancelled" if n % 97 == 0 else "confirmed",
                "join_mode": "free",
                "comments_enabled": True,
                "participant_count": 0,
                "published": start - timedelta(days=20),
            }
        )
        if len(rows) == 5000:
            async with database.transaction() as session:
                await session.execute(insert(Event), rows)
            rows = []
    if rows:
        async with database.transaction() as session:
            await session.execute(insert(Event), rows)
    await write_dates(database)
    async with database.transaction() as session:
        if not indexes:
            for name in WINDOW_INDEXES:
                await session.execute(text(f"DROP INDEX {name}"))
    # What autovacuum does to a PostgreSQL server in use (statistics, and the visibility map
    # that lets a covering index answer alone); SQLite gets its statistics.
    async with database.write_engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        statements = (
            ["ANALYZE"]
            if database.is_sqlite
            else [f"VACUUM ANALYZE {table}" for table in ("actors", "events", "event_occurrences")]
        )
        for statement in statements:
            await autocommit.execute(text(statement))
    return {"events": total, "series": series, "organisers": len(ids)}


async def write_dates(database: Database, batch: int = 2000) -> None:
    """The table of occurrences, written by the function every event write goes through."""
    last = 0
    while True:
        async with database.transaction() as session:
            events = list(
                await session.scalars(
                    select(Event).where(Event.id > last).order_by(Event.id).limit(batch)
                )
            )
            if not events:
                return
            await refresh_occurrences(session, events)
            last = events[-1].id


async def wait_ready(client: httpx2.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server stopped during start-up")
        try:
            if (await client.get("/static/quartiers.css")).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError("the server did not answer in time")


async def load(
    client: httpx2.AsyncClient, path: str, requests: int, concurrency: int, *, built: bool = False
) -> dict[str, float]:
    """Server and client times of ``requests`` GETs, ``concurrency`` at a time; ``built``: each
    at an address of its own (an ignored parameter), so that no page kept for visitors
    answers it and every one is built."""
    server: list[float] = []
    client_side: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for n in queue:
            started = time.perf_counter()
            response = await client.get(f"{path}&built={n}" if built else path)
            client_side.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            timing = response.headers.get("server-timing", "dur=nan")
            server.append(float(timing.rsplit("dur=", 1)[1]))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "p50_ms": statistics.median(server),
        "p95_ms": statistics.quantiles(server, n=20)[18],
        "client_p95_ms": statistics.quantiles(client_side, n=20)[18],
        "rps": requests / elapsed,
    }


async def measured(
    client: httpx2.AsyncClient, path: str, requests: int, concurrency: int, *, built: bool = False
) -> dict[str, float]:
    """``load`` one request at a time (what a request costs), then ``concurrency`` at a time
    (what one process serves; its p95 there is mostly time spent queueing)."""
    alone = await load(client, path, max(requests // 2, 50), 1, built=built)
    busy = await load(client, path, requests, concurrency, built=built)
    return {**busy, "alone_p50_ms": alone["p50_ms"], "alone_p95_ms": alone["p95_ms"]}


async def month_counts(database: Database) -> tuple[int, int]:
    from commons.agenda.queries import Window, agenda_days

    async with database.session() as session:
        days = await agenda_days(session, AgendaQuery(), Window(MONTH, 30, GENEVA), per_day=3)
    return sum(d.total for d in days), sum(len(d.items) for d in days)


async def ical_timing(database: Database) -> dict[str, float]:
    after = datetime(2026, 5, 1, tzinfo=UTC)
    async with database.session() as session:
        started = time.perf_counter()
        pairs = await feed_events(
            session, AgendaQuery(), after=after, before=after + timedelta(days=60), limit=1000
        )
        query_ms = (time.perf_counter() - started) * 1000
    entries = [FeedEntry(event, actor, event.url or event.uri) for event, actor in pairs]
    samples = []
    for _ in range(20):
        started = time.perf_counter()
        build_calendar(entries, name="Bench")
        samples.append((time.perf_counter() - started) * 1000)
    return {"events": len(entries), "build_ms": statistics.median(samples), "query_ms": query_ms}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="quartiers-bench-agenda-"))
    schema = None
    if args.postgres:
        url = args.postgres
        schema = f"bench_{secrets.token_hex(4)}"
        admin = Database(url)
        async with admin.transaction() as session:
            await session.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
    else:
        url = f"sqlite+aiosqlite:///{folder / 'agenda.db'}"
    database = Database(url, schema=schema)
    process: subprocess.Popen[bytes] | None = None
    try:
        started = time.perf_counter()
        counts = await seed(database, args.events, indexes=not args.without_proposed_indexes)
        seed_s = time.perf_counter() - started
        in_month, shown = await month_counts(database)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for over HTTP
            [sys.executable, "-c", SERVER, url, schema or "", str(port), DOMAIN],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        month_path = f"/agenda/city?view=month&date={MONTH.isoformat()}"
        async with httpx2.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=30, headers={"Accept": "text/html"}
        ) as client:
            await wait_ready(client, process)
            cold = await client.get(month_path)
            cold_ms = float(cold.headers["server-timing"].rsplit("dur=", 1)[1])
            await load(client, month_path, 20, 2)
            month = await measured(client, month_path, args.requests, args.concurrency)
            static = await measured(
                client, "/static/quartiers.css", args.requests, args.concurrency
            )
            week = await measured(
                client, month_path.replace("month", "week"), 100, args.concurrency
            )
            upcoming = await measured(client, "/agenda/city", 100, args.concurrency)
            one_quartier = await measured(
                client, f"{month_path}&quartier=quartier3.bench", 100, args.concurrency
            )
            month_built = await measured(client, month_path, 100, args.concurrency, built=True)
            one_quartier_built = await measured(
                client, f"{month_path}&quartier=quartier3.bench", 100, args.concurrency,
                built=True,
            )  # fmt: skip
            city_ics = await load(client, "/agenda/city.ics", 10, 1)
        ical = await ical_timing(database)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        await database.dispose()
        if schema:
            admin = Database(args.postgres)
            async with admin.transaction() as session:
                await session.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()
    return {
        "database": "postgresql" if args.postgres else "sqlite",
        "proposed_indexes": not args.without_proposed_indexes,
        **counts,
        "seed_s": round(seed_s, 1),
        "month_occurrences": in_month,
        "month_items_shown": shown,
        "month_cold_ms": round(cold_ms, 1),
        "month": {k: round(v, 2) for k, v in month.items()},
        "week": {k: round(v, 2) for k, v in week.items()},
        "upcoming": {k: round(v, 2) for k, v in upcoming.items()},
        "one_quartier": {k: round(v, 2) for k, v in one_quartier.items()},
        "month_built": {k: round(v, 2) for k, v in month_built.items()},
        "one_quartier_built": {k: round(v, 2) for k, v in one_quartier_built.items()},
        "static": {k: round(v, 2) for k, v in static.items()},
        "city_ics_1000": {k: round(v, 2) for k, v in city_ics.items()},
        "ical_1000": {k: round(v, 2) if isinstance(v, float) else v for k, v in ical.items()},
        "ceiling_rps": round(static["rps"], 1),
        "goals": {"month_p95_alone_ms": GOAL_MONTH_P95_MS, "ical_1000_ms": GOAL_ICAL_MS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", default="", help="a postgresql+asyncpg:// URL")
    parser.add_argument(
        "--without-proposed-indexes",
        action="store_true",
        help="measure with the migrated indexes only (ix_events_start, ix_events_actor_start)",
    )
    args = parser.parse_args()
    result = event_loop.run(run(args))
    print(
        f"{result['database']}: {result['events']} events ({result['series']} series), "
        f"{result['organisers']} organisers, seeded in {result['seed_s']} s"
    )
    print(
        f"month {MONTH:%Y-%m}: {result['month_occurrences']} occurrences, "
        f"{result['month_items_shown']} shown (3 a day + 'voir tout'); "
        f"first request {result['month_cold_ms']} ms"
    )
    print(
        f"{'page':<34}{'alone p50':>10}{'alone p95':>10}"
        f"{f'p95 ×{args.concurrency}':>9}{'client p95':>12}{'req/s':>8}"
    )
    for label, key in (
        ("GET /agenda/city?view=month", "month"),
        ("GET /agenda/city?view=week", "week"),
        ("GET /agenda/city (upcoming)", "upcoming"),
        ("  month, one quartier", "one_quartier"),
        ("  month, built each time", "month_built"),
        ("  one quartier, built each time", "one_quartier_built"),
        ("GET /static/quartiers.css", "static"),
        ("GET /agenda/city.ics (≤1000)", "city_ics_1000"),
    ):
        row = result[key]
        print(
            f"{label:<34}{row.get('alone_p50_ms', row['p50_ms']):>10.2f}"
            f"{row.get('alone_p95_ms', row['p95_ms']):>10.2f}{row['p95_ms']:>9.2f}"
            f"{row['client_p95_ms']:>12.2f}{row['rps']:>8.0f}"
        )
    print(
        f"month: {result['month']['rps']:.0f} req/s on one process, "
        f"{100 * result['month']['rps'] / result['ceiling_rps']:.0f} % of the static ceiling "
        f"({result['ceiling_rps']:.0f} req/s)"
    )
    ical = result["ical_1000"]
    print(
        f"iCalendar of {ical['events']} events: build {ical['build_ms']:.1f} ms (median of 20), "
        f"query {ical['query_ms']:.1f} ms; goals: month p95 alone ≤ {GOAL_MONTH_P95_MS} ms, "
        f"iCal ≤ {GOAL_ICAL_MS} ms"
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
