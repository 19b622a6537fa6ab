"""A slow origin before a Follow: twelve signed Announces of objects on a server that takes 10 s
to answer, then one Follow from another origin, all in the inbox before the worker starts.

Runs a real instance (``create_app``, its inbox route and the production InboxWorker with
default settings) with its federation client routed in process (loopback only, no sockets) to
two fake origins and the slow server. Measures the time from the worker's start until the
Follow is handled; the ceiling, in the same run, is the same Follow alone. Goal: ≤ 1 s.

Usage: .venv/bin/python bench/slow_origin.py [--postgres URL] [--slow-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# bench/inbox.py would shadow the inbox package: the repository root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx2
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from support import add_postgres_argument, bench_database, database_kinds, report

from actors.services import create_account, ensure_instance_actor
from config.settings import (
    DatabaseSettings,
    FederationSettings,
    ServerSettings,
    Settings,
    WebUISettings,
)
from federation.keys import KeyPair, generate_rsa_keypair
from federation.signatures import Scheme, sign_request
from inbox.worker import InboxWorker
from quartiers import event_loop
from quartiers.app import create_app
from storage.database import Database
from storage.models import Actor, InboxItem
from storage.models.queue import DONE

LOCAL = "paquis.test"
SLOW_ORIGIN = "mastodon.test"
OTHER_ORIGIN = "lemmy.test"
SLOW_SERVER = "slow.test"
ANNOUNCES = 12
GOAL_SECONDS = 1.0
LOOP_TIMEOUT = 120.0
ACTIVITY_JSON = "application/activity+json"


@dataclass
class Run:
    database: str
    announces: int
    slow_seconds: float
    follow_alone_s: float
    follow_after_slow_s: float
    announces_done_when_follow_done: int
    goal_s: float = GOAL_SECONDS


class Router(httpx2.AsyncBaseTransport):
    def __init__(self, apps: dict[str, Any]) -> None:
        self.transports = {host: httpx2.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        transport = self.transports.get(request.url.netloc.decode())
        if transport is None:
            raise httpx2.ConnectError(f"no server at {request.url.host}", request=request)
        return await transport.handle_async_request(request)


def actor_document(host: str, username: str, key: KeyPair) -> dict[str, Any]:
    uri = f"http://{host}/users/{username}"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": username,
        "inbox": f"{uri}/inbox",
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": key.public_pem},
    }


def origin_app(documents: dict[str, dict[str, Any]]) -> Starlette:
    async def actor(request: Request) -> Response:
        return JSONResponse(documents[request.path_params["name"]], media_type=ACTIVITY_JSON)

    return Starlette(routes=[Route("/users/{name}", actor)])


def slow_app(seconds: float) -> Starlette:
    async def anything(request: Request) -> Response:
        await asyncio.sleep(seconds)
        return JSONResponse({"error": "not here"}, status_code=404)

    return Starlette(routes=[Route("/{path:path}", anything)])


@asynccontextmanager
async def instance_with_origins(
    database: Database, slow_seconds: float, keys: dict[str, KeyPair]
) -> AsyncIterator[tuple[Starlette, httpx2.AsyncClient]]:
    settings = Settings(
        server=ServerSettings(name="Quartier Bench", domain=LOCAL, scheme="http"),
        database=DatabaseSettings(url=database.url),
        federation=FederationSettings(allow_private_addresses=True),
        webui=WebUISettings(secret_key="bench-" + "x" * 40),
    )
    apps: dict[str, Any] = {
        SLOW_ORIGIN: origin_app({"alice": actor_document(SLOW_ORIGIN, "alice", keys["alice"])}),
        OTHER_ORIGIN: origin_app({"bob": actor_document(OTHER_ORIGIN, "bob", keys["bob"])}),
        SLOW_SERVER: slow_app(slow_seconds),
    }
    router = Router(apps)
    async with AsyncExitStack() as stack:
        client = httpx2.AsyncClient(transport=router)
        stack.push_async_callback(client.aclose)
        app = create_app(settings, database=database, http_client=client, run_workers=False)
        router.transports[LOCAL] = httpx2.ASGITransport(app=app)
        async with database.transaction() as session:
            await ensure_instance_actor(session, settings)
        yield app, client


async def post_signed(
    client: httpx2.AsyncClient, document: dict[str, Any], host: str, key: KeyPair
) -> None:
    url = f"http://{LOCAL}/inbox"
    body = json.dumps(document).encode()
    base = {"Content-Type": ACTIVITY_JSON}
    key_id = f"{document['actor']}#main-key"
    headers = base | sign_request("POST", url, base, body, key_id, key.private_pem, Scheme.CAVAGE)
    response = await client.post(url, content=body, headers=headers)
    if response.status_code != 202:
        raise RuntimeError(f"{host}: {response.status_code} {response.text}")


async def warm_pool(database: Database) -> None:
    """Open the pool's connections before timing: a running server has them open already."""

    async def ping() -> None:
        async with database.session() as session:
            await session.scalar(select(InboxItem.id).limit(1))
            await asyncio.sleep(0.05)

    await asyncio.gather(*(ping() for _ in range(10)))


async def follow_handled_after(
    app: Starlette, client: httpx2.AsyncClient, keys: dict[str, KeyPair], announces: int, tag: str
) -> tuple[float, int]:
    instance = app.state.instance
    database: Database = instance.database
    async with database.transaction() as session:
        account = await create_account(session, instance.settings, f"res{tag}", "password123")
        resident = await session.get(Actor, account.actor_id)
        assert resident is not None
        resident_uri = resident.uri
    alice = f"http://{SLOW_ORIGIN}/users/alice"
    for number in range(announces):
        announce = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{alice}/announces/{tag}-{number}",
            "type": "Announce",
            "actor": alice,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": f"http://{SLOW_SERVER}/notes/{tag}-{number}",
        }
        await post_signed(client, announce, SLOW_ORIGIN, keys["alice"])
    bob = f"http://{OTHER_ORIGIN}/users/bob"
    follow_id = f"{bob}/follows/{tag}"
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": follow_id,
        "type": "Follow",
        "actor": bob,
        "object": resident_uri,
    }
    await post_signed(client, follow, OTHER_ORIGIN, keys["bob"])

    await warm_pool(database)
    stop = asyncio.Event()
    started = time.perf_counter()
    running = asyncio.create_task(InboxWorker(instance).run_forever(stop, idle_seconds=0.05))
    try:
        async with asyncio.timeout(LOOP_TIMEOUT):
            while True:
                async with database.session() as session:
                    state = await session.scalar(
                        select(InboxItem.state).where(InboxItem.activity_uri == follow_id)
                    )
                    if state == DONE:
                        elapsed = time.perf_counter() - started
                        done = await session.scalar(
                            select(InboxItem.id)
                            .where(InboxItem.activity_type == "Announce", InboxItem.state == DONE)
                            .limit(1)
                        )
                        return elapsed, 0 if done is None else 1
                await asyncio.sleep(0.005)
    finally:
        stop.set()
        await running


async def run(kind: str, postgres: str | None, slow_seconds: float) -> Run:
    keys = {"alice": generate_rsa_keypair(), "bob": generate_rsa_keypair()}
    async with bench_database(kind, postgres) as database:
        async with instance_with_origins(database, slow_seconds, keys) as (app, client):
            alone, _ = await follow_handled_after(app, client, keys, 0, "alone")
        async with instance_with_origins(database, slow_seconds, keys) as (app, client):
            after, done = await follow_handled_after(app, client, keys, ANNOUNCES, "slow")
    return Run(
        database=kind,
        announces=ANNOUNCES,
        slow_seconds=slow_seconds,
        follow_alone_s=round(alone, 3),
        follow_after_slow_s=round(after, 3),
        announces_done_when_follow_done=done,
    )


COLUMNS = [
    ("database", "database"),
    ("follow_alone_s", "Follow alone s (ceiling)"),
    ("follow_after_slow_s", "Follow after slow ones s"),
    ("goal_s", "goal s"),
    ("announces_done_when_follow_done", "slow done"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_postgres_argument(parser)
    parser.add_argument("--slow-seconds", type=float, default=10.0)
    args = parser.parse_args()
    kinds, postgres = database_kinds(args.postgres)
    runs = [event_loop.run(run(kind, postgres, args.slow_seconds)) for kind in kinds]
    title = (
        f"a slow origin: {ANNOUNCES} Announces of objects on a server answering in "
        f"{args.slow_seconds:g} s, then a Follow from another origin; goal ≤ {GOAL_SECONDS} s"
    )
    report("slow_origin", title, runs, COLUMNS)


if __name__ == "__main__":
    main()
