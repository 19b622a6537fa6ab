"""The delivery pipeline: a slow host delays only its own rows, and every delivery key of the
configuration (concurrency, per host, batch, timeout, lease) is honoured."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from datetime import datetime, timedelta

import httpx2
from sqlalchemy import event, update

from federation.signatures import verify_request
from storage.database import Database
from storage.models import Host, utcnow
from storage.models.queue import DELIVERED, QUEUED, Delivery
from tests.outbox.outbox_support import RemoteInboxes, create_sender, deliveries, enqueue
from tests.outbox.pipeline_support import HeldInboxes, configured_worker, running
from tests.support import wait_until

SLOW = "slow.test"
FAST = [f"http://fast{n:02d}.test/inbox" for n in range(20)]
SLOW_INBOXES = [f"http://{SLOW}/users/u{n}/inbox" for n in range(3)]


async def states_by_host(database: Database) -> Counter[tuple[str, str]]:
    return Counter((row.host, row.state) for row in await deliveries(database))


async def test_a_slow_host_delays_only_its_own_rows(database: Database) -> None:
    # Given one activity queued first to three inboxes of a host that does not answer, then
    # to twenty other hosts, and a worker claiming four rows at a time, one per host
    sender = await create_sender(database)
    activity_id = await enqueue(database, sender, [*SLOW_INBOXES, *FAST])
    remote = HeldInboxes(held={SLOW})
    worker = configured_worker(
        database, remote.client(), delivery_batch_size=4, per_host_concurrency=1
    )

    # When the worker runs as it does in production
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    try:

        async def fast_ones_delivered() -> bool:
            delivered = sum(
                n for (host, state), n in (await states_by_host(database)).items()
                if host != SLOW and state == DELIVERED
            )  # fmt: skip
            return delivered == len(FAST)

        await wait_until(fast_ones_delivered, "the twenty fast hosts delivered")

        # Then the twenty fast hosts are delivered while the slow host still holds its first
        # POST, and its two other rows were not even sent
        assert (await states_by_host(database))[(SLOW, QUEUED)] == len(SLOW_INBOXES)
        assert remote.posts_to(SLOW) == 1 and remote.in_flight[SLOW] == 1

        # When the slow host answers
        remote.release.set()

        async def all_delivered() -> bool:
            return all(row.state == DELIVERED for row in await deliveries(database))

        await wait_until(all_delivered, "every row delivered")
    finally:
        stop.set()
        await running

    # Then every inbox got the activity once, and the slow host never two at a time
    assert Counter(remote.received) == Counter(
        (inbox, activity_id) for inbox in [*SLOW_INBOXES, *FAST]
    )
    assert remote.most_per_host[SLOW] == 1


async def test_per_host_concurrency_bounds_the_rows_of_one_host(database: Database) -> None:
    # Given ten rows for one host and per_host_concurrency = 2
    sender = await create_sender(database)
    await enqueue(database, sender, [f"http://busy.test/users/u{n}/inbox" for n in range(10)])
    remote = HeldInboxes()
    worker = configured_worker(database, remote.client(), per_host_concurrency=2)

    # When the worker takes one step
    attempted = await worker.run_once()

    # Then it claimed and sent two rows of that host, and left the eight others queued
    assert attempted == 2
    assert remote.posts_to("busy.test") == 2
    assert Counter(row.state for row in await deliveries(database)) == {DELIVERED: 2, QUEUED: 8}


async def test_delivery_workers_bounds_the_posts_in_flight(database: Database) -> None:
    # Given ten rows on ten hosts that hold their answers, and delivery_workers = 3
    sender = await create_sender(database)
    inboxes = [f"http://h{n}.test/inbox" for n in range(10)]
    await enqueue(database, sender, inboxes)
    remote = HeldInboxes(held={f"h{n}.test" for n in range(10)})
    worker = configured_worker(database, remote.client(), delivery_workers=3)

    # When the worker takes one step, and the hosts answer only once three POSTs wait
    step = asyncio.create_task(worker.run_once())

    async def three_waiting() -> bool:
        return sum(remote.in_flight.values()) == 3

    await wait_until(three_waiting, "three POSTs in flight")
    for _ in range(20):
        await asyncio.sleep(0)
    remote.release.set()
    attempted = await step

    # Then all ten were sent, never more than three at a time
    assert attempted == 10
    assert remote.most_in_all == 3
    assert {row.state for row in await deliveries(database)} == {DELIVERED}


async def test_delivery_batch_size_bounds_one_claim(database: Database) -> None:
    # Given ten rows on ten hosts and delivery_batch_size = 3
    sender = await create_sender(database)
    await enqueue(database, sender, [f"http://h{n}.test/inbox" for n in range(10)])
    remote = HeldInboxes()
    worker = configured_worker(database, remote.client(), delivery_batch_size=3)

    # When the worker takes one step
    attempted = await worker.run_once()

    # Then it claimed three rows, no more
    assert attempted == 3 and len(remote.received) == 3


async def test_delivery_timeout_seconds_bounds_a_delivery(database: Database) -> None:
    # Given a host that never answers, delivery_timeout_seconds = 0.2 and a long fetch timeout
    sender = await create_sender(database)
    await enqueue(database, sender, ["http://silent.test/inbox"])
    remote = HeldInboxes(held={"silent.test"})
    worker = configured_worker(
        database,
        remote.client(timeout_seconds=600),
        delivery_timeout_seconds=0.2,
        fetch_timeout_seconds=600,
    )

    # When the worker takes one step (guarded: a delivery without that timeout fails here)
    attempted = await asyncio.wait_for(worker.run_once(), 60)

    # Then the POST gave up at the delivery timeout and the row waits for a retry
    [row] = await deliveries(database)
    assert attempted == 1 and not remote.release.is_set()
    assert row.state == QUEUED and row.attempts == 1 and row.last_status is None
    assert "timed out" in (row.last_error or "")


async def test_a_delivery_is_not_cut_by_the_fetch_timeout(database: Database) -> None:
    # Given a host that answers after half a second, a fetch timeout of a tenth of a second
    # (the client's own) and delivery_timeout_seconds = 30
    sender = await create_sender(database)
    await enqueue(database, sender, ["http://leisurely.test/inbox"])
    remote = HeldInboxes(delay=0.5)
    worker = configured_worker(
        database,
        remote.client(timeout_seconds=0.1),
        delivery_timeout_seconds=30,
        fetch_timeout_seconds=0.1,
    )

    # When the worker takes one step
    await worker.run_once()

    # Then the delivery waited for the answer: it is delivered
    [row] = await deliveries(database)
    assert (row.state, row.last_status) == (DELIVERED, 202)


async def test_lease_seconds_is_the_lease_of_a_claim(database: Database) -> None:
    # Given a row for a host that holds its answer, and lease_seconds = 90
    sender = await create_sender(database)
    await enqueue(database, sender, ["http://held.test/inbox"])
    remote = HeldInboxes(held={"held.test"})
    worker = configured_worker(database, remote.client(), lease_seconds=90)
    now = utcnow()

    # When the worker claims it at `now` and is sending
    step = asyncio.create_task(worker.run_once(now=now))

    async def sending() -> bool:
        return remote.in_flight["held.test"] == 1

    await wait_until(sending, "the POST in flight")

    # Then the row is leased for 90 seconds, under a claim token
    [row] = await deliveries(database)
    assert row.locked_until == now + timedelta(seconds=90)
    assert row.claim_token is not None and row.locked_by == worker.worker_id
    remote.release.set()
    await step
    [row] = await deliveries(database)
    assert (row.state, row.locked_until, row.claim_token) == (DELIVERED, None, None)


async def test_the_lease_is_renewed_while_a_delivery_is_in_flight(database: Database) -> None:
    # Given a row for a host that holds its answer, and a lease of a second and a half
    sender = await create_sender(database)
    activity_id = await enqueue(database, sender, ["http://held.test/inbox"])
    remote = HeldInboxes(held={"held.test"})
    worker = configured_worker(database, remote.client(), lease_seconds=1.5)
    rival = configured_worker(database, remote.client(), lease_seconds=1.5)

    # When the worker runs and its POST outlives several leases
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    try:

        async def claimed() -> bool:
            return (await deliveries(database))[0].claim_token is not None

        await wait_until(claimed, "the row claimed")
        [first] = await deliveries(database)
        assert first.locked_until is not None
        first_lease = first.locked_until

        seen: list[tuple[datetime, Delivery]] = []

        async def renewed_past_the_first_lease() -> bool:
            # The moment is read before the row: a lease ahead of it was live at that moment,
            # however late the test runs on a loaded machine.
            moment = utcnow()
            [row] = await deliveries(database)
            seen.append((moment, row))
            return (
                row.locked_until is not None
                and row.locked_until > first_lease + timedelta(seconds=1)
                and row.locked_until > moment
            )

        await wait_until(renewed_past_the_first_lease, "the lease renewed")

        # Then the claim is the same, and a rival claiming at that moment finds nothing
        moment, row = seen[-1]
        assert row.claim_token == first.claim_token
        assert await rival.run_once(now=moment) == 0
        remote.release.set()

        async def delivered() -> bool:
            return (await deliveries(database))[0].state == DELIVERED

        await wait_until(delivered, "the row delivered")
    finally:
        stop.set()
        await running
    assert remote.received == [("http://held.test/inbox", activity_id)]


async def test_a_worker_never_claims_again_a_row_it_still_sends(database: Database) -> None:
    # Given a worker whose POST to a host is held, with a lease renewed only every 20 s
    sender = await create_sender(database)
    activity_id = await enqueue(database, sender, ["http://held.test/inbox"])
    remote = HeldInboxes(held={"held.test"})
    worker = configured_worker(database, remote.client(), lease_seconds=60)
    async with running(worker):

        async def sent() -> bool:
            return remote.posts_to("held.test") == 1

        await wait_until(sent, "the POST in flight")
        [first] = await deliveries(database)

        # When its lease runs out before a renewal (a busy machine), and the worker's next
        # claim sees the row due again beside a new one
        async with database.transaction() as session:
            await session.execute(
                update(Delivery)
                .where(Delivery.id == first.id)
                .values(locked_until=utcnow() - timedelta(seconds=1))
            )
        later_id = await enqueue(database, sender, ["http://later.test/inbox"])

        async def later_delivered() -> bool:
            return any(
                row.host == "later.test" and row.state == DELIVERED
                for row in await deliveries(database)
            )

        await wait_until(later_delivered, "the new row delivered")

        # Then the held row keeps its claim and was not sent a second time
        [row] = [row for row in await deliveries(database) if row.id == first.id]
        assert row.claim_token == first.claim_token
        assert remote.posts_to("held.test") == 1

        # And once the host answers, its outcome is recorded under that claim
        remote.release.set()

        async def all_delivered() -> bool:
            return all(row.state == DELIVERED for row in await deliveries(database))

        await wait_until(all_delivered, "every row delivered")
    assert sorted(remote.received) == [
        ("http://held.test/inbox", activity_id),
        ("http://later.test/inbox", later_id),
    ]


async def test_signing_processes_sign_deliveries_beside_the_event_loop(
    database: Database,
) -> None:
    # Given rows for three hosts, each checking the signature with the sender's public key,
    # and signing_processes = 1
    sender = await create_sender(database)
    await enqueue(database, sender, [f"http://h{n}.test/inbox" for n in range(3)])
    verified: list[str] = []

    def check(request: httpx2.Request) -> httpx2.Response:
        signature = verify_request(
            "POST",
            request.url.raw_path.decode(),
            request.url.netloc.decode(),
            request.headers.multi_items(),
            request.content,
            sender.public_key_pem,
            url_scheme="http",
        )
        verified.append(signature.key_id)
        return httpx2.Response(202)

    remote = RemoteInboxes(answer=check)
    worker = configured_worker(database, remote.client(), signing_processes=1)

    # When the worker starts its signing processes and runs as in production
    processes = await worker.start_signing()
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    try:

        async def all_delivered() -> bool:
            return {row.state for row in await deliveries(database)} == {DELIVERED}

        await wait_until(all_delivered, "the three rows delivered")
    finally:
        stop.set()
        await running

    # Then one process other than this one signed, and every signature verified
    assert len(processes) == 1 and os.getpid() not in processes
    assert verified == [sender.public_key_id] * 3


async def park(database: Database, host: str, until: datetime) -> None:
    """``host`` parked until ``until`` after two days of failures."""
    async with database.transaction() as session:
        session.add(
            Host(
                host=host,
                consecutive_failures=50,
                first_failure_at=utcnow() - timedelta(days=2),
                parked_until=until,
            )
        )


async def test_other_hosts_are_served_while_a_parked_host_is_probed(database: Database) -> None:
    # Given a host parked until a moment ago with thirty rows due, the oldest, then one row
    # for another host, and a worker claiming eight rows at a time
    sender = await create_sender(database)
    await enqueue(database, sender, [f"http://parked.test/u{n}/inbox" for n in range(30)])
    later_id = await enqueue(database, sender, ["http://ok.test/inbox"])
    await park(database, "parked.test", until=utcnow() - timedelta(seconds=1))
    remote = HeldInboxes(held={"parked.test"})
    worker = configured_worker(database, remote.client(), delivery_batch_size=8)

    # When the worker runs, and the parked host holds the answer to its probe
    async with running(worker):

        async def other_host_delivered() -> bool:
            return remote.posts_to("ok.test") == 1

        # Then the other host is served while the probe is out, and the parked host got that
        # single probe
        await wait_until(other_host_delivered, "the other host delivered")
        assert remote.in_flight["parked.test"] == 1
        assert remote.posts_to("parked.test") == 1
        remote.release.set()
    assert ("http://ok.test/inbox", later_id) in remote.received


async def test_an_idle_worker_takes_no_write_lock_while_only_parked_hosts_have_rows(
    sqlite_database: Database,
) -> None:
    # Given a row due for a host parked for an hour, and nothing else (SQLite, one writer)
    database = sqlite_database
    sender = await create_sender(database)
    await enqueue(database, sender, ["http://parked.test/inbox"])
    await park(database, "parked.test", until=utcnow() + timedelta(hours=1))
    remote = HeldInboxes()
    worker = configured_worker(database, remote.client())
    written: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        written.append(statement)

    engine = database.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        # When the idle worker looks for work, again and again
        assert [await worker.run_once() for _ in range(3)] == [0, 0, 0]

        # Then it never used the writer's connection (its lock would hold up every writer)
        assert written == []

        # And a row for another host is still claimed and sent
        await enqueue(database, sender, ["http://ok.test/inbox"])
        assert await worker.run_once() == 1
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [inbox for inbox, _ in remote.received] == ["http://ok.test/inbox"]
