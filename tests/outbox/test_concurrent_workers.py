"""Two delivery workers on one PostgreSQL queue: every row delivered once, none twice."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx2
import pytest

from federation.client import FederationClient
from outbox.worker import DeliveryWorker
from storage.database import Database
from storage.models import utcnow
from storage.models.queue import DELIVERED
from tests.outbox.outbox_support import create_sender, deliveries, enqueue
from tests.support import POSTGRES_URL_ENV, fresh_database, postgres_url

pytestmark = pytest.mark.skipif(
    postgres_url() is None,
    reason=f"needs PostgreSQL (SKIP LOCKED claims across connections): set {POSTGRES_URL_ENV}",
)

HOSTS = 50
INBOXES_PER_HOST = 20
MAX_ROUNDS = 200


class RecordingInboxes:
    """Every (inbox, activity id) POSTed, from any worker; yields once so that workers interleave."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(0)
        self.received.append((str(request.url), json.loads(request.content)["id"]))
        return httpx2.Response(202)

    def client(self) -> FederationClient:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle))
        return FederationClient(http, user_agent="test", allow_private_addresses=True)


async def drain(worker: DeliveryWorker, now: datetime) -> int:
    handled = 0
    for _ in range(MAX_ROUNDS):
        done = await worker.run_once(now=now)
        if done == 0:
            return handled
        handled += done
    raise AssertionError(f"worker still busy after {MAX_ROUNDS} rounds")


async def test_two_workers_deliver_a_thousand_rows_exactly_once(tmp_path: Path) -> None:
    async with fresh_database("postgresql", tmp_path, "concurrent") as first:
        second = Database(first.url, schema=first.schema)
        try:
            # Given one activity queued to 1,000 inboxes on 50 hosts
            sender = await create_sender(first)
            inboxes = [
                f"http://h{host:02d}.test/users/u{user:02d}/inbox"
                for host in range(HOSTS)
                for user in range(INBOXES_PER_HOST)
            ]
            activity_id = await enqueue(first, sender, inboxes)
            assert len(await deliveries(first)) == len(inboxes)

            # When two workers, each with its own connections, drain the queue concurrently
            remote = RecordingInboxes()
            workers = [
                DeliveryWorker(database, remote.client(), rng=random.Random(seed))
                for seed, database in enumerate((first, second))
            ]
            now = utcnow()
            handled = await asyncio.wait_for(
                asyncio.gather(*(drain(worker, now) for worker in workers)), timeout=60
            )

            # Then both took part, and every inbox got the activity exactly once
            assert all(count > 0 for count in handled), handled
            assert sum(handled) == len(inboxes)
            duplicates = [pair for pair, n in Counter(remote.received).items() if n > 1]
            assert duplicates == []
            assert sorted(remote.received) == sorted((inbox, activity_id) for inbox in inboxes)

            # And every row is recorded delivered, after one attempt, unlocked
            rows = await deliveries(first)
            assert Counter((row.state, row.attempts, row.locked_until) for row in rows) == {
                (DELIVERED, 1, None): len(inboxes)
            }
            assert [await worker.run_once(now=now) for worker in workers] == [0, 0]
        finally:
            await second.dispose()
