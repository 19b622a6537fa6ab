"""Backfill: how fast a quartier that federates reads and applies its neighbour's recent past.

Two instances in one process (as the federation rig runs them: each app on its own database,
one HTTP client routing each host to its app, so signed GETs, key and actor fetches really
run). The Pâquis holds ``--items`` public ``Create(Note)``s of 50 collectives in its quartier
outbox; the Servette, federated with it, runs the production reader (``inbox.backfill``) and the
production inbox worker until every activity is applied. Reported in activities per second,
beside two ceilings measured in the same run: the same pages read one after the other, without
handing anything on (what serving and fetching cost alone), and the same 10,000 activities
applied by the inbox worker of a third quartier, federated too, where they were already queued
(what applying costs alone).

Usage: .venv/bin/python bench/backfill.py [--postgres URL] [--items N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx2
from sqlalchemy import insert, select
from support import add_postgres_argument, bench_database, database_kinds, report

from actors.backfills import start_backfill
from actors.neighbours import mark_neighbour
from actors.services import create_account, create_group, ensure_instance_actor
from config.settings import (
    DatabaseSettings,
    FederationSettings,
    ServerSettings,
    Settings,
    WebUISettings,
)
from federation.vocab import PUBLIC
from inbox.backfill import NeighbourBackfill
from inbox.worker import InboxWorker
from instance.runtime import Instance
from quartiers import event_loop
from quartiers.app import create_app
from storage.database import Database
from storage.models import Activity, Actor, Backfill, Follow, InboxItem, utcnow
from storage.models.follows import ACCEPTED
from storage.models.queue import DONE, QUEUED

COLLECTIVES = 50
LOOP_TIMEOUT = 1200.0


@dataclass
class Run:
    database: str
    items: int
    pages: int
    backfilled_per_s: float
    reading_s: float
    total_s: float
    pages_alone_per_s: float
    applied_alone_per_s: float
    share_of_applying: float


class Router(httpx2.AsyncBaseTransport):
    def __init__(self) -> None:
        self.transports: dict[str, httpx2.ASGITransport] = {}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self.transports[request.url.netloc.decode()].handle_async_request(request)


def settings_of(host: str, url: str, items: int) -> Settings:
    return Settings(
        server=ServerSettings(name=host, domain=host, scheme="http"),
        database=DatabaseSettings(url=url),
        federation=FederationSettings(allow_private_addresses=True, backfill_max_items=items),
        webui=WebUISettings(secret_key="bench-secret-" + "x" * 40),
    )


async def seed_outbox(database: Database, settings: Settings, items: int) -> None:
    """``items`` relayed Create(Note)s of the collectives, written as the outbox stores them."""
    async with database.transaction() as session:
        await ensure_instance_actor(session, settings)
        await create_account(session, settings, "jeanmarc", "password123")
        groups = [
            await create_group(session, settings, f"collectif{n}", "project", "jeanmarc")
            for n in range(COLLECTIVES)
        ]
    base = settings.base_url
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for serial in range(items):
        group = groups[serial % COLLECTIVES]
        published = (now - timedelta(seconds=items - serial)).strftime("%Y-%m-%dT%H:%M:%SZ")
        note = {
            "id": f"{base}/posts/bench-{serial}", "type": "Note", "attributedTo": group.uri,
            "content": f"<p>Nouvelle n°{serial} du collectif</p>", "published": published,
            "to": [PUBLIC], "cc": [f"{group.uri}/followers"], "audience": group.uri,
        }  # fmt: skip
        document = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{base}/activities/bench-{serial}", "type": "Create", "actor": group.uri,
            "object": note, "to": [PUBLIC], "cc": [f"{group.uri}/followers"],
            "published": published,
        }  # fmt: skip
        rows.append(
            {
                "uri": document["id"],
                "type": "Create",
                "actor_id": group.id,
                "object_uri": note["id"],
                "is_public": True,
                "in_quartier_outbox": True,
                "payload": json.dumps(document),
                "published": now,
            }
        )
    async with database.transaction() as session:
        for first in range(0, len(rows), 2000):
            await session.execute(insert(Activity), rows[first : first + 2000])


async def federate(servette: Instance, paquis_host: str) -> Actor:
    """Both instance actors follow each other, accepted, and the neighbour is known as one (as
    after a federation accepted)."""
    there = await servette.remote_actors.by_handle("instance", paquis_host)
    async with servette.database.transaction() as session:
        await mark_neighbour(session, there.domain, there.uri)
        here = await session.scalar(
            select(Actor).where(Actor.is_local.is_(True), Actor.type == "Application")
        )
        assert here is not None
        for follower, followed in ((here, there), (there, here)):
            session.add(
                Follow(uri=f"{follower.uri}#follows/{followed.id}", follower_id=follower.id,
                       followed_id=followed.id, state=ACCEPTED, accepted_at=utcnow())
            )  # fmt: skip
    return there


async def read_pages_alone(servette: Instance, outbox: str) -> tuple[int, int, float]:
    """Every page, one after the other, with the reader's signed GETs; nothing handed on."""
    client = servette.federation
    assert client is not None
    signer = await servette.remote_actors.signer()
    started = time.perf_counter()
    page = (await client.fetch_json(outbox, signer))["first"]
    pages = items = 0
    while page:
        document = await client.fetch_json(page, signer)
        pages += 1
        items += len(document["orderedItems"])
        page = document.get("next")
    return pages, items, time.perf_counter() - started


async def until_applied(instance: Instance) -> None:
    """Wait until no activity is left queued in ``instance``'s inbox."""
    while True:
        async with instance.database.session() as session:
            queued = await session.scalar(
                select(InboxItem.id).where(InboxItem.state == QUEUED).limit(1)
            )
        if queued is None:
            return
        await asyncio.sleep(0.05)


async def apply_alone(quartier: Instance, received: list[dict[str, Any]]) -> float:
    """The activities ``received`` queued at once in ``quartier``'s inbox, then applied by its
    inbox worker: seconds."""
    now = utcnow()
    rows = [
        row | {"state": QUEUED, "attempts": 0, "next_attempt_at": now, "received_at": now}
        for row in received
    ]
    async with quartier.database.transaction() as session:
        for first in range(0, len(rows), 2000):
            await session.execute(insert(InboxItem), rows[first : first + 2000])
    stop = asyncio.Event()
    started = time.perf_counter()
    worker = asyncio.create_task(InboxWorker(quartier).run_forever(stop, idle_seconds=0.05))
    try:
        async with asyncio.timeout(LOOP_TIMEOUT):
            await until_applied(quartier)
    finally:
        stop.set()
        await worker
    return time.perf_counter() - started


async def received_rows(instance: Instance) -> list[dict[str, Any]]:
    async with instance.database.session() as session:
        found = await session.execute(
            select(
                InboxItem.activity_uri, InboxItem.actor_uri, InboxItem.activity_type,
                InboxItem.payload,
            ).order_by(InboxItem.id)
        )  # fmt: skip
        return [dict(row._mapping) for row in found]


async def backfill(servette: Instance, there: Actor) -> tuple[float, float, Backfill]:
    async with servette.database.transaction() as session:
        await start_backfill(session, there)
    reader = NeighbourBackfill(servette)
    stop = asyncio.Event()
    started = time.perf_counter()
    inbox = asyncio.create_task(InboxWorker(servette).run_forever(stop, idle_seconds=0.05))
    reading_s = 0.0
    try:
        async with asyncio.timeout(LOOP_TIMEOUT):
            while await reader.run_once():
                pass  # one page per step; the inbox worker runs beside
            reading_s = time.perf_counter() - started
            await until_applied(servette)
    finally:
        stop.set()
        await inbox
    total_s = time.perf_counter() - started
    async with servette.database.session() as session:
        row = await session.scalar(select(Backfill).where(Backfill.neighbour_id == there.id))
    assert row is not None and row.state == DONE, row
    return reading_s, total_s, row


async def run(kind: str, postgres: str | None, items: int) -> Run:
    async with (
        bench_database(kind, postgres) as paquis_db,
        bench_database(kind, postgres) as servette_db,
        bench_database(kind, postgres) as jonction_db,
    ):
        router = Router()
        http = httpx2.AsyncClient(transport=router)
        instances: dict[str, Instance] = {}
        hosts = (
            ("paquis.test", paquis_db), ("servette.test", servette_db),
            ("jonction.test", jonction_db),
        )  # fmt: skip
        for host, database in hosts:
            settings = settings_of(host, database.url, items)
            app = create_app(settings, database=database, http_client=http, run_workers=False)
            instances[host] = app.state.instance
            router.transports[host] = httpx2.ASGITransport(app=app)
        try:
            await seed_outbox(paquis_db, instances["paquis.test"].settings, items)
            servette, jonction = instances["servette.test"], instances["jonction.test"]
            for quartier in (servette, jonction):
                async with quartier.database.transaction() as session:
                    await ensure_instance_actor(session, quartier.settings)
            there = await federate(servette, "paquis.test")
            await federate(jonction, "paquis.test")
            pages, served, alone_s = await read_pages_alone(
                servette, "http://paquis.test/actor/outbox"
            )
            assert served == items, served
            reading_s, total_s, row = await backfill(servette, there)
            assert row.items_done == items, row.items_done
            applied_s = await apply_alone(jonction, await received_rows(servette))
        finally:
            await http.aclose()
    return Run(
        database=kind,
        items=items,
        pages=pages,
        backfilled_per_s=round(items / total_s, 1),
        reading_s=round(reading_s, 2),
        total_s=round(total_s, 2),
        pages_alone_per_s=round(items / alone_s, 1),
        applied_alone_per_s=round(items / applied_s, 1),
        share_of_applying=round(applied_s / total_s, 3),
    )


COLUMNS = [
    ("database", "database"),
    ("items", "items"),
    ("pages", "pages"),
    ("backfilled_per_s", "backfilled/s"),
    ("reading_s", "reading s"),
    ("total_s", "read+applied s"),
    ("pages_alone_per_s", "pages read alone/s (ceiling)"),
    ("applied_alone_per_s", "applied alone/s (ceiling)"),
    ("share_of_applying", "share of applying"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_postgres_argument(parser)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    kinds, postgres = database_kinds(args.postgres)
    runs = [event_loop.run(run(kind, postgres, args.items)) for kind in kinds]
    title = f"backfill: {args.items} Create(Note) of {COLLECTIVES} collectives, read and applied"
    report("backfill", title, runs, COLUMNS)


if __name__ == "__main__":
    main()
