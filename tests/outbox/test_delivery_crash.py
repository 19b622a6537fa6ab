"""The queue is the database: a worker dying between claim and record loses nothing."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import httpx2

from outbox.worker import LEASE, DeliveryWorker
from storage.claims import claim_due
from storage.database import Database
from storage.models import Delivery, utcnow
from storage.models.queue import DELIVERED, QUEUED
from tests.outbox.outbox_support import (
    RemoteInboxes,
    create_remote_actor,
    create_sender,
    deliveries,
    enqueue,
)

INBOXES = [f"http://remote{n}.test/users/x/inbox" for n in range(5)]


async def test_rows_claimed_by_a_dead_worker_are_delivered_once_after_the_lease(
    database: Database,
) -> None:
    # Given five queued deliveries
    sender = await create_sender(database)
    for inbox in INBOXES:
        await create_remote_actor(database, inbox)
    activity_id = await enqueue(database, sender, INBOXES)
    start = utcnow()

    # When a worker claims them as DeliveryWorker does, then dies before recording anything
    async with database.transaction() as session:
        claimed = await claim_due(
            session, Delivery, now=start, lease=LEASE, limit=64, worker_id="dead:0"
        )
    assert len(claimed.rows) == len(INBOXES)

    # Then, until the lease expires, another worker claims none of them
    remote = RemoteInboxes()
    survivor = DeliveryWorker(database, remote.client(), rng=random.Random(1))
    assert await survivor.run_once(now=start + LEASE - timedelta(seconds=1)) == 0
    assert remote.requests == []
    assert {row.locked_by for row in await deliveries(database)} == {"dead:0"}

    # When the lease has expired
    after_lease = start + LEASE + timedelta(seconds=1)
    attempted = await survivor.run_once(now=after_lease)
    attempted += await survivor.run_once(now=after_lease)

    # Then every row was POSTed exactly once and is delivered, and nothing is left to do
    assert attempted == len(INBOXES)
    assert Counter(remote.received()) == Counter((inbox, activity_id) for inbox in INBOXES)
    rows = await deliveries(database)
    assert {(row.state, row.attempts, row.locked_until) for row in rows} == {(DELIVERED, 1, None)}
    assert await survivor.run_once(now=after_lease + timedelta(days=1)) == 0
    assert len(remote.requests) == len(INBOXES)


async def test_an_unexpected_error_is_recorded_on_its_row_not_lost_with_the_batch(
    database: Database,
) -> None:
    # Given five queued deliveries, one of which hits a bug (not a network failure)
    sender = await create_sender(database)
    for inbox in INBOXES:
        await create_remote_actor(database, inbox)
    await enqueue(database, sender, INBOXES)
    broken = INBOXES[2]

    def answer(request: httpx2.Request) -> httpx2.Response:
        if str(request.url) == broken:
            raise RuntimeError("a bug in a transport")
        return httpx2.Response(202)

    remote = RemoteInboxes(answer)
    worker = DeliveryWorker(database, remote.client(), rng=random.Random(1))
    now = utcnow()

    # When the worker runs the batch
    assert await worker.run_once(now=now) == len(INBOXES)

    # Then the four others are recorded delivered (never sent again) and the broken one is
    # queued for a retry with the error on its row
    rows = {row.inbox_uri: row for row in await deliveries(database)}
    assert {inbox for inbox, row in rows.items() if row.state == DELIVERED} == set(INBOXES) - {
        broken
    }
    assert rows[broken].state == QUEUED and rows[broken].locked_until is None
    assert "RuntimeError" in (rows[broken].last_error or "")
    remote.requests.clear()
    await worker.run_once(now=now + timedelta(hours=1))
    assert [str(r.url) for r in remote.requests] == [broken]
