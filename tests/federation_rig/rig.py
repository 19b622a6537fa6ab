"""Several instances in one process, each with its own database, federating for real.

Their federation clients share one ``httpx2.AsyncClient`` whose mounts route every instance's
host to its ASGI app: signatures, WebFinger, key fetches and inbox POSTs all really run. Queue
workers are stepped by hand with :meth:`Rig.drain` instead of sleeping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import select
from starlette.applications import Starlette

from actors.services import create_account, create_group, ensure_instance_actor
from config.settings import Settings
from inbox.backfill import NeighbourBackfill
from inbox.worker import InboxWorker
from instance.runtime import Instance
from outbox.worker import DeliveryWorker
from quartiers.app import create_app
from storage.models import Actor
from tests.support import fresh_database, make_settings

HOSTS = ("paquis.test", "jonction.test", "servette.test")


@dataclass
class Node:
    """One instance of the rig."""

    host: str
    settings: Settings
    app: Starlette
    instance: Instance
    inbox_worker: InboxWorker
    delivery_worker: DeliveryWorker
    backfill: NeighbourBackfill

    async def resident(self, username: str, *, manual: bool = False) -> Actor:
        async with self.instance.database.transaction() as session:
            account = await create_account(session, self.settings, username, "password123")
            actor = await session.get(Actor, account.actor_id)
            assert actor is not None
            actor.manually_approves_followers = manual
            return actor

    async def collective(self, name: str, owner: str, kind: str = "space") -> Actor:
        async with self.instance.database.transaction() as session:
            return await create_group(session, self.settings, name, kind, owner)

    async def actor(self, uri: str) -> Actor | None:
        async with self.instance.database.session() as session:
            return await session.scalar(select(Actor).where(Actor.uri == uri))


@dataclass
class Rig:
    nodes: dict[str, Node]
    client: httpx2.AsyncClient
    # Every request between the instances, as (method, address without its fragment).
    requests: list[tuple[str, str]] = field(default_factory=list)
    router: HostRouter | None = None

    def gets_of(self, address: str) -> int:
        """How many GETs of ``address`` (its fragment aside) any instance made so far."""
        wanted = address.split("#", 1)[0]
        return sum(1 for method, url in self.requests if method == "GET" and url == wanted)

    def __getitem__(self, host: str) -> Node:
        return self.nodes[host]

    async def drain(self, max_rounds: int = 50) -> int:
        """Run every worker until no queue has due work left; returns the rows handled."""
        total = 0
        for _ in range(max_rounds):
            handled = 0
            for node in self.nodes.values():
                handled += await node.delivery_worker.run_once()
                handled += await node.inbox_worker.run_once()
                handled += await node.backfill.run_once()
            total += handled
            if handled == 0:
                return total
        raise AssertionError(f"queues still busy after {max_rounds} rounds")


class HostRouter(httpx2.AsyncBaseTransport):
    """Routes each request to the ASGI app of its host; unknown hosts fail to connect."""

    def __init__(self) -> None:
        self.transports: dict[str, httpx2.ASGITransport] = {}
        self.requests: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        address = (
            f"{request.url.scheme}://{request.url.netloc.decode()}{request.url.raw_path.decode()}"
        )
        self.requests.append((request.method, address))
        transport = self.transports.get(request.url.netloc.decode())
        if transport is None:
            raise httpx2.ConnectError(f"no instance at {request.url.host}", request=request)
        return await transport.handle_async_request(request)


@asynccontextmanager
async def federation_rig(
    tmp_path: Path,
    database_kind: str = "sqlite",
    hosts: tuple[str, ...] = HOSTS,
    secure: tuple[str, ...] = (),
    servers: Mapping[str, Mapping[str, Any]] | None = None,
    federation: Mapping[str, Mapping[str, Any]] | None = None,
) -> AsyncIterator[Rig]:
    """``secure`` names the hosts that run in secure mode (signed GETs required); ``servers``
    gives some hosts more server settings (a description, an area…), ``federation`` more
    federation settings (the bounds of what they read when they federate, publishing their
    blocklist…)."""
    async with AsyncExitStack() as stack:
        router = HostRouter()
        client = httpx2.AsyncClient(transport=router)
        stack.push_async_callback(client.aclose)
        nodes: dict[str, Node] = {}
        for host in hosts:
            database = await stack.enter_async_context(
                fresh_database(database_kind, tmp_path, host.split(".")[0])
            )
            settings = make_settings(
                host,
                database_url=database.url,
                server=(servers or {}).get(host),
                secure_mode=host in secure,
                **(federation or {}).get(host, {}),
            )
            app = create_app(settings, database=database, http_client=client, run_workers=False)
            instance: Instance = app.state.instance
            async with database.transaction() as session:
                await ensure_instance_actor(session, settings)
            assert instance.federation is not None
            nodes[host] = Node(
                host,
                settings,
                app,
                instance,
                InboxWorker(instance),
                DeliveryWorker(database, instance.federation),
                NeighbourBackfill(instance),
            )
            router.transports[host] = httpx2.ASGITransport(app=app)
        yield Rig(nodes, client, router.requests, router)
