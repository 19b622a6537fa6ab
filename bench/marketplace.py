"""The city marketplace under load: 50,000 offers and requests from 20 instances, filtered.

A database (SQLite in a temporary folder, and PostgreSQL too with ``--postgres URL``) is
migrated and bulk-filled with ``--offers`` offers and requests of 200 publishers (ten on each of
20 instances, this one among them): every kind, nine in ten offers, most open, some done or
over, words in their titles and descriptions. The 19 others are neighbour quartiers with a name,
one of them left out of the city views by the admin, so each card is labelled with its
quartier's name and that quartier's offers are left out, as in a real city. The server is the one of ``bench/timelines.py``
(``create_app`` under uvicorn, one process, no queue workers, a timer inside the app), and so is
the load generator (raw keep-alive HTTP/1.1).

Measured per page: pages/s under ``--concurrency`` connections (beside ``/static/quartiers.css``
of the same server, the ceiling), and the server time of one request at a time (p50, p95) —
the marketplace of the city, of this quartier, filtered by kind, by kind and requests, by words,
narrowed to one quartier.
Each page is read twice: by visitors who are not signed in (the page one visitor had built is
kept for the next ones, see ``webui/visitor_pages.py``), and by 16 signed-in residents in turn,
each request another's: the listing one had built is shared by the next ones, and the frame
around it (the menu with their name and unread count) is built for each
(``webui/shared_listings.py``). The time one request at a time is the residents'.
Goals: p95 one request at a time ≤ 20 ms; ≥ 40 % of the ceiling under 16 connections.

Usage: .venv/bin/python bench/marketplace.py [--postgres URL] [--offers N] [--requests N]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from support import free_port, neighbour_rows, report
from timelines import ROOT, bench_settings, measure, session_cookie, wait_ready

from quartiers import event_loop

BATCH = 5000
HOSTS = 20
PER_HOST = 10
RESIDENTS = 16
GOAL_P95_MS = 20.0
GOAL_SHARE = 0.40
KINDS = ("emploi", "logement", "troc", "pret", "don", "service", "besoin")
THINGS = ("perceuse", "vélo cargo", "poussette", "chambre", "confiture", "machine à coudre",
          "échelle", "cours de guitare", "garde d'enfants", "table", "livres", "tente")  # fmt: skip
READERS = (("visitor", False), ("resident", True))
TARGETS = (
    ("ceiling (static CSS)", "/static/quartiers.css"),
    ("city", "/offers?scope=city"),
    ("quartier", "/offers"),
    ("city, lending", "/offers?scope=city&kind=pret"),
    ("city, needs asked", "/offers?scope=city&kind=besoin&purpose=request"),
    ("city, words", "/offers?scope=city&q=machine"),
    ("city, one quartier", "/offers?scope=city&quartier=quartier3.test"),
)


async def fill(database_url: str, schema: str | None, count: int) -> list[str]:
    """Migrate and fill; returns the session tokens of the signed-in readers."""
    from sqlalchemy import insert, select, text

    from actors.services import create_account, ensure_instance_actor
    from actors.web_sessions import open_session
    from commons.offers.search_words import offer_words
    from storage import migrate
    from storage.database import Database
    from storage.models import Actor, Host, Offer

    settings = bench_settings(database_url)
    database = Database(database_url, schema=schema)
    rng = random.Random(42)
    try:
        await migrate.upgrade(database)
        async with database.transaction() as session:
            await ensure_instance_actor(session, settings)
            session_tokens = []
            for n in range(RESIDENTS):
                account = await create_account(session, settings, f"lecteur{n}", "password123")
                session_tokens.append(await open_session(session, account.id, "bench"))
        actors = []
        for host in range(HOSTS):
            domain = settings.server.domain if host == 0 else f"quartier{host}.test"
            for n in range(PER_HOST):
                uri = (f"{settings.base_url}/@p{n}" if host == 0
                       else f"http://{domain}/users/p{n}")  # fmt: skip
                actors.append({
                    "uri": uri, "type": "Person", "username": f"p{n}", "domain": domain,
                    "is_local": host == 0, "name": f"Voisin·e {host}-{n}", "url": uri,
                    "inbox_uri": f"{uri}/inbox", "followers_uri": f"{uri}/followers",
                    "public_key_id": f"{uri}#main-key", "public_key_pem": "-",
                })  # fmt: skip
        neighbours = [f"quartier{host}.test" for host in range(1, HOSTS)]
        async with database.transaction() as session:
            await session.execute(insert(Actor), actors)
            await session.execute(insert(Host), neighbour_rows(neighbours))
        async with database.session() as session:
            rows = (await session.execute(
                select(Actor.id, Actor.is_local, Actor.uri).where(Actor.username.like("p%"))
            )).all()  # fmt: skip
        now = datetime.now(UTC)
        for first in range(0, count, BATCH):
            batch = []
            for n in range(first, min(first + BATCH, count)):
                actor_id, is_local, actor_uri = rows[rng.randrange(len(rows))]
                kind = rng.choice(KINDS)
                thing = rng.choice(THINGS)
                base = settings.base_url if is_local else actor_uri.rsplit("/users/", 1)[0]
                uri = f"{base}/offers/{uuid.uuid4()}"
                roll = rng.random()
                batch.append({
                    "uri": uri, "url": uri, "actor_id": actor_id, "is_local": is_local,
                    "purpose": "request" if kind == "besoin" or roll < 0.1 else "offer",
                    "kind": kind, "title": f"{thing.capitalize()} n° {n}",
                    "description_source": f"À voir au quartier : {thing}, en bon état.",
                    "description_html": f"<p>À voir au quartier : {thing}, en bon état.</p>",
                    "unit": "one", "unit_based": False, "reciprocity": "free", "online": False,
                    "status": "closed" if roll > 0.9 else "open",
                    "valid_until": now - timedelta(days=1) if 0.85 < roll <= 0.9
                    else now + timedelta(days=30) if roll < 0.5 else None,
                    "locality": "Genève", "published": now - timedelta(minutes=count - n),
                })  # fmt: skip
                row = batch[-1]
                row["search_text"] = offer_words(row["title"], None, row["description_source"],
                                                 "", None, row["locality"])  # fmt: skip
            async with database.transaction() as session:
                await session.execute(insert(Offer), batch)
        async with database.transaction() as session:
            await session.execute(text("ANALYZE"))
        return session_tokens
    finally:
        await database.dispose()


async def run_one(
    database: str, url: str, schema: str | None, args: argparse.Namespace
) -> list[dict[str, Any]]:
    started = time.perf_counter()
    tokens = await fill(url, schema, args.offers)
    cookies = [session_cookie(token, secrets.token_urlsafe(16)) for token in tokens]
    fill_s = round(time.perf_counter() - started, 1)
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "timelines.py"), "--serve", url,
               "--port", str(port)]  # fmt: skip
    if schema:
        command += ["--schema", schema]
    process = await asyncio.to_thread(subprocess.Popen, command, cwd=ROOT)
    try:
        await wait_ready(port, process)
        results = []
        for label, path in TARGETS:
            readers = [("visitor", None)] if label.startswith("ceiling") else READERS
            for reader, with_cookie in readers:
                result = await measure(port, label, path, cookies if with_cookie else None, args)
                result.update(database=database, fill_s=fill_s, reader=reader)
                results.append(result)
        ceiling = results[0]["pages_per_s"]
        for result in results:
            result["share_of_ceiling"] = round(result["pages_per_s"] / ceiling, 3)
        return results
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def main(args: argparse.Namespace) -> None:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-marketplace-") as folder:
        results += await run_one("sqlite", f"sqlite+aiosqlite:///{folder}/bench.sqlite", None, args)
    if args.postgres:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_async_engine(args.postgres)
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            results += await run_one("postgresql", args.postgres, schema, args)
        finally:
            async with admin.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()
    pages = [r for r in results if not r["target"].startswith("ceiling")]
    built = [r for r in pages if r["reader"] == "resident"]
    worst_p95 = max(r["alone_p95_ms"] for r in built)
    worst_share = min(r["share_of_ceiling"] for r in pages if r["reader"] == "visitor")
    worst_built_share = min(r["share_of_ceiling"] for r in built)
    print(f"worst p95 alone (page built for a resident): {worst_p95} ms (goal {GOAL_P95_MS}); "
          f"lowest share of the ceiling: {worst_share:.0%} for visitors (goal {GOAL_SHARE:.0%}), "
          f"{worst_built_share:.0%} signed in")  # fmt: skip
    report(
        "marketplace",
        f"The city marketplace: {args.offers} offers from {HOSTS} instances; {args.requests} "
        f"requests per page over {args.concurrency} connections, and {args.sequential} one at a "
        f"time (server time inside the app); goals: p95 alone <= {GOAL_P95_MS} ms, "
        f">= {GOAL_SHARE:.0%} of the static ceiling",
        results,
        [("database", "database"), ("target", "page"), ("reader", "reader"),
         ("pages_per_s", "pages/s"),
         ("share_of_ceiling", "× ceiling"), ("alone_p50_ms", "alone p50 ms"),
         ("alone_p95_ms", "alone p95 ms"), ("p95_ms", "p95 ms (16 conn.)"),
         ("statuses", "statuses")],
    )  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--postgres", default=os.environ.get("QUARTIERS_TEST_DATABASE_URL"))
    parser.add_argument("--offers", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sequential", type=int, default=300)
    return parser.parse_args()


if __name__ == "__main__":
    event_loop.run(main(parse_args()))
