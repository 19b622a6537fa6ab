"""Only the holder of a claim records its outcome; two workers on a slow host never send a row
twice nor put a delivered row back to the queue."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

from outbox.worker import LEASE, DeliveryWorker
from storage.database import Database
from storage.models import utcnow
from storage.models.queue import DELIVERED
from tests.outbox.outbox_support import RemoteInboxes, create_sender, deliveries, enqueue
from tests.outbox.pipeline_support import (
    HeldInboxes,
    configured_worker,
)
from tests.support import wait_until

INBOXES = [f"http://h{n % 4}.test/users/u{n}/inbox" for n in range(16)]


def second_handle(database: Database) -> Database:
    """Another worker's own connections to the same database."""
    return Database(database.url, schema=database.schema)


async def test_a_worker_whose_lease_was_taken_cannot_record_its_outcome(
    database: Database,
) -> None:
    # Given three queued rows, and a first worker whose POSTs hang, then fail with 503
    sender = await create_sender(database)
    inboxes = [f"http://h{n}.test/inbox" for n in range(3)]
    activity_id = await enqueue(database, sender, inboxes)
    hanging = HeldInboxes(held={f"h{n}.test" for n in range(3)}, status=503)
    stale = DeliveryWorker(database, hanging.client(), rng=random.Random(1))
    start = utcnow()
    first = asyncio.create_task(stale.run_once(now=start))

    async def all_hanging() -> bool:
        return sum(hanging.in_flight.values()) == 3

    await wait_until(all_hanging, "the first worker's POSTs in flight")

    # When its lease runs out (it stopped renewing), a second worker takes the rows and
    # delivers them, and only then do the first worker's POSTs come back with 503
    fresh = RemoteInboxes()
    later = DeliveryWorker(database, fresh.client(), rng=random.Random(2))
    assert await later.run_once(now=start + LEASE + timedelta(seconds=1)) == 3
    hanging.release.set()
    assert await first == 3

    # Then the rows stay delivered, after the second worker's one attempt: the stale outcome
    # was refused by the claim token
    assert sorted(fresh.received()) == sorted((inbox, activity_id) for inbox in inboxes)
    rows = await deliveries(database)
    assert {(row.state, row.attempts, row.last_status, row.claim_token) for row in rows} == {
        (DELIVERED, 1, 202, None)
    }


async def test_two_workers_on_a_slow_host_send_each_row_once(database: Database) -> None:
    # Given 16 rows on four hosts that answer slowly (longer than the lease), and two
    # workers with per_host_concurrency = 1 and delivery_batch_size = 40; the lease of six
    # seconds is renewed every two, so a renewal may come up to four seconds late on a
    # loaded machine before a rival could take a row
    sender = await create_sender(database)
    activity_id = await enqueue(database, sender, INBOXES)
    remote = HeldInboxes(delay=8.0)
    other = second_handle(database)
    workers = [
        configured_worker(
            handle,
            remote.client(),
            per_host_concurrency=1,
            delivery_batch_size=40,
            lease_seconds=6.0,
        )
        for handle in (database, other)
    ]

    # When both run as in production until every row is recorded
    stop = asyncio.Event()
    running = [
        asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05)) for worker in workers
    ]
    try:

        async def all_recorded() -> bool:
            return all(row.state == DELIVERED for row in await deliveries(database))

        await wait_until(all_recorded, "every row delivered")
    finally:
        stop.set()
        await asyncio.gather(*running)
        await other.dispose()

    # Then each inbox got the activity exactly once, no host ever had two POSTs of one worker
    # at once, and every row is delivered after one attempt
    assert Counter(remote.received) == Counter((inbox, activity_id) for inbox in INBOXES)
    assert max(remote.most_per_host.values()) <= len(workers)
    rows = await deliveries(database)
    assert Counter((row.state, row.attempts, row.claim_token) for row in rows) == {
        (DELIVERED, 1, None): len(INBOXES)
    }


async def test_a_sent_row_is_not_sent_again_by_a_rival_before_its_outcome(
    database: Database,
) -> None:
    # Given a row being sent by one worker (the host holds the answer)
    sender = await create_sender(database)
    await enqueue(database, sender, ["http://held.test/inbox"])
    remote = HeldInboxes(held={"held.test"})
    holder = configured_worker(database, remote.client())
    step = asyncio.create_task(holder.run_once())

    async def sending() -> bool:
        return remote.in_flight["held.test"] == 1

    await wait_until(sending, "the POST in flight")

    # When a rival worker looks for work
    other = second_handle(database)
    try:
        rival = configured_worker(other, remote.client())
        found = await rival.run_once()
    finally:
        await other.dispose()
    remote.release.set()
    await step

    # Then it found nothing, and the row was POSTed once
    assert found == 0
    assert len(remote.received) == 1
