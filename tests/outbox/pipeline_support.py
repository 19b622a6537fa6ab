"""Remote inboxes that hold their answers until the test releases them, and a delivery worker
built from settings exactly as ``quartiers serve`` and ``quartiers worker`` build it, run as
they run it."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2

from federation.client import FederationClient
from instance.runtime import Instance
from outbox.worker import DeliveryWorker
from quartiers.workers import delivery_worker
from storage.database import Database
from tests.support import make_settings


class HeldInboxes:
    """Records every POST; answers 202, at once or, for the hosts in ``held``, once released.

    Tracks how many requests are in flight, per host and in all, and the most ever seen.
    """

    def __init__(self, held: set[str] | None = None, status: int = 202, delay: float = 0.0) -> None:
        self.held = held or set()
        self.status = status
        self.delay = delay
        self.release = asyncio.Event()
        self.received: list[tuple[str, str]] = []
        self.in_flight: Counter[str] = Counter()
        self.most_per_host: Counter[str] = Counter()
        self.most_in_all = 0

    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        host = request.url.netloc.decode()
        self.received.append((str(request.url), json.loads(request.content)["id"]))
        self.in_flight[host] += 1
        self.most_per_host[host] = max(self.most_per_host[host], self.in_flight[host])
        self.most_in_all = max(self.most_in_all, sum(self.in_flight.values()))
        try:
            if host in self.held:
                await self.release.wait()
            else:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight[host] -= 1
        return httpx2.Response(self.status)

    def client(self, **options: Any) -> FederationClient:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle))
        return FederationClient(http, user_agent="test", allow_private_addresses=True, **options)

    def posts_to(self, host: str) -> int:
        return sum(1 for inbox, _ in self.received if httpx2.URL(inbox).netloc.decode() == host)


def configured_worker(
    database: Database, client: FederationClient, **federation: Any
) -> DeliveryWorker:
    """The worker `quartiers` runs, from a configuration with ``federation`` keys set."""
    settings = make_settings("paquis.test", database_url=database.url, **federation)
    return delivery_worker(Instance(settings=settings, database=database, federation=client))


@asynccontextmanager
async def running(worker: DeliveryWorker) -> AsyncIterator[None]:
    """The worker's continuous pipeline, as in production, until the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    try:
        yield
    finally:
        stop.set()
        await task
