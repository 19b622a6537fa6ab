"""While a batch of outcomes is being written, the worker goes on sending new rows, within a
bound: the rows it holds never pass its room (delivery_workers + delivery_batch_size) plus one
batch of outcomes waiting to be written."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime

from outbox.worker import Attempt
from storage.database import Database
from storage.models import utcnow
from storage.models.queue import DELIVERED, QUEUED
from tests.outbox.outbox_support import create_sender, deliveries, enqueue
from tests.outbox.pipeline_support import (
    HeldInboxes,
    configured_worker,
)
from tests.support import wait_until

WORKERS = 2
BATCH = 4
INBOXES = [f"http://h{n:02d}.test/inbox" for n in range(30)]


async def test_sending_goes_on_while_outcomes_are_written(database: Database) -> None:
    # Given thirty rows on thirty hosts answering at once, a worker sending two at a time and
    # claiming four at most, and the writing of outcomes held up
    sender = await create_sender(database)
    activity_id = await enqueue(database, sender, INBOXES)
    remote = HeldInboxes()
    worker = configured_worker(
        database, remote.client(), delivery_workers=WORKERS, delivery_batch_size=BATCH
    )
    writing = asyncio.Event()
    record = worker._record

    async def held_up_record(attempts: list[Attempt], now: datetime) -> None:
        await writing.wait()
        await record(attempts, now)

    worker._record = held_up_record  # type: ignore[method-assign]

    # When the worker runs as it does in production
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    try:
        # Then, with no outcome written yet, it sends beyond its room by one batch, no more
        room = WORKERS + BATCH

        async def a_batch_beyond_the_room_sent() -> bool:
            return len(remote.received) >= room + BATCH

        await wait_until(a_batch_beyond_the_room_sent, "a batch beyond the room sent")
        await asyncio.sleep(0.2)
        assert len(remote.received) == room + BATCH
        assert worker.held_count() + BATCH == room + BATCH

        # When the outcomes can be written
        writing.set()

        async def all_delivered() -> bool:
            return all(row.state == DELIVERED for row in await deliveries(database))

        await wait_until(all_delivered, "every row delivered")
    finally:
        writing.set()
        stop.set()
        await running

    # Then every inbox got the activity once
    assert Counter(remote.received) == Counter((inbox, activity_id) for inbox in INBOXES)


async def test_a_stopping_worker_tries_its_last_write_again(database: Database) -> None:
    # Given a worker whose POST is in flight, and whose first write of outcomes fails (the
    # database busy for a moment)
    sender = await create_sender(database)
    await enqueue(database, sender, ["http://held.test/inbox"])
    remote = HeldInboxes(held={"held.test"})
    worker = configured_worker(database, remote.client())
    record = worker._record
    failures = 0

    async def fails_once(attempts: list[Attempt], now: datetime) -> None:
        nonlocal failures
        if not failures:
            failures += 1
            raise OSError("database is locked")
        await record(attempts, now)

    worker._record = fails_once  # type: ignore[method-assign]
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))

    async def in_flight() -> bool:
        return remote.in_flight["held.test"] == 1

    await wait_until(in_flight, "the POST in flight")

    # When it is told to stop, and the POST then succeeds
    stop.set()
    remote.release.set()
    await running

    # Then the outcome was written at the second try: delivered, not given back to be sent again
    [row] = await deliveries(database)
    assert (row.state, row.attempts, row.claim_token) == (DELIVERED, 1, None)
    assert failures == 1


async def test_outcomes_a_stopping_worker_cannot_write_keep_their_lease(
    database: Database,
) -> None:
    # Given a worker whose POST is in flight, and a database that refuses every write of
    # outcomes
    sender = await create_sender(database)
    await enqueue(database, sender, ["http://held.test/inbox", "http://other.test/inbox"])
    remote = HeldInboxes(held={"held.test"})
    worker = configured_worker(database, remote.client())

    async def fails(attempts: list[Attempt], now: datetime) -> None:
        raise OSError("database is locked")

    worker._record = fails  # type: ignore[method-assign]
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))

    async def in_flight() -> bool:
        return remote.in_flight["held.test"] == 1 and remote.posts_to("other.test") == 1

    await wait_until(in_flight, "one POST done, one in flight")

    # When it is told to stop, and the held POST then succeeds too
    stop.set()
    remote.release.set()
    await running

    # Then both rows, sent but unrecorded, stay leased: sent again once the lease has run out,
    # not at once by the next worker
    rows = await deliveries(database)
    assert len(remote.received) == 2
    assert all(row.state == QUEUED and row.claim_token is not None for row in rows)
    assert all(row.locked_until is not None and row.locked_until > utcnow() for row in rows)
