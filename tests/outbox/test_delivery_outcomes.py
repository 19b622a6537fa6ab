"""Every row of the delivery outcome table, through the real DeliveryWorker and real rows."""

from __future__ import annotations

import random
from datetime import timedelta

import httpx2
import pytest
from sqlalchemy import update

from federation.signatures import Scheme
from outbox.enqueue import enqueue_activity
from outbox.worker import DeliveryWorker
from storage.database import Database
from storage.models import Delivery, DomainBlock, utcnow
from storage.models.queue import DELIVERED, GAVE_UP, QUEUED
from tests.outbox.outbox_support import (
    REMOTE_INBOX,
    Answer,
    RemoteInboxes,
    actor_row,
    create_remote_actor,
    create_sender,
    deliveries,
    enqueue,
    follow,
    host_row,
    only_delivery,
    raises,
    scheme_of,
    seconds_between,
    status,
)

BACKOFF_CAP_SECONDS = 12 * 3600


def worker(database: Database, remote: RemoteInboxes) -> DeliveryWorker:
    return DeliveryWorker(database, remote.client(), rng=random.Random(7))


async def test_2xx_is_delivered(database: Database) -> None:
    # Given one queued delivery to a remote inbox that accepts it
    sender = await create_sender(database)
    await create_remote_actor(database)
    activity_id = await enqueue(database, sender)
    remote = RemoteInboxes(status(202))
    now = utcnow()

    # When a worker runs
    attempted = await worker(database, remote).run_once(now=now)

    # Then one signed POST carried the activity and the row is delivered and unlocked
    assert attempted == 1
    assert remote.received() == [(REMOTE_INBOX, activity_id)]
    assert scheme_of(remote.requests[0]) is Scheme.CAVAGE
    row = await only_delivery(database)
    assert (row.state, row.last_status, row.attempts) == (DELIVERED, 202, 1)
    assert row.finished_at == now and row.first_attempt_at == now
    assert row.locked_until is None and row.locked_by is None


async def test_401_then_other_scheme_is_delivered_and_the_scheme_remembered(
    database: Database,
) -> None:
    # Given a host that only takes RFC 9421 signatures
    sender = await create_sender(database)
    await create_remote_actor(database)
    await enqueue(database, sender)
    remote = RemoteInboxes(
        lambda request: httpx2.Response(202 if scheme_of(request) is Scheme.RFC9421 else 401)
    )
    first_worker = worker(database, remote)
    now = utcnow()

    # When the worker delivers (draft-cavage first, as Mastodon does)
    await first_worker.run_once(now=now)

    # Then it knocked twice, cavage then RFC 9421; the row is delivered; the host row keeps it
    assert [scheme_of(r) for r in remote.requests] == [Scheme.CAVAGE, Scheme.RFC9421]
    assert (await only_delivery(database)).state == DELIVERED
    host = await host_row(database, "remote.test")
    assert host is not None and host.signature_scheme == Scheme.RFC9421.value

    # When a second activity goes to that host, from the same worker
    remote.requests.clear()
    await enqueue(database, sender)
    await first_worker.run_once(now=now + timedelta(minutes=1))

    # Then it signs with RFC 9421 at once
    assert [scheme_of(r) for r in remote.requests] == [Scheme.RFC9421]

    # When a new worker (a restart: nothing in memory) delivers a third one
    remote.requests.clear()
    await enqueue(database, sender)
    await worker(database, remote).run_once(now=now + timedelta(minutes=2))

    # Then the scheme came back from the hosts row
    assert [scheme_of(r) for r in remote.requests] == [Scheme.RFC9421]
    assert {row.state for row in await deliveries(database)} == {DELIVERED}


@pytest.mark.parametrize("code", [429, 503])
async def test_429_and_503_retry_after_the_asked_delay(database: Database, code: int) -> None:
    # Given a host that is busy and asks for two minutes
    sender = await create_sender(database)
    await create_remote_actor(database)
    await enqueue(database, sender)
    remote = RemoteInboxes(status(code, Retry_After="120"))
    delivery_worker = worker(database, remote)
    now = utcnow()

    # When the worker delivers
    await delivery_worker.run_once(now=now)

    # Then the row is queued again for now + 120 s and is not due before
    row = await only_delivery(database)
    assert (row.state, row.last_status, row.attempts) == (QUEUED, code, 1)
    assert abs(seconds_between(row.next_attempt_at, now) - 120) < 1
    assert row.locked_until is None
    assert await delivery_worker.run_once(now=now + timedelta(seconds=119)) == 0

    # When the host has recovered and the delay has passed
    remote.answer = status(202)
    attempted = await delivery_worker.run_once(now=now + timedelta(seconds=120))

    # Then the second attempt delivers it
    assert attempted == 1
    row = await only_delivery(database)
    assert (row.state, row.attempts, row.first_attempt_at) == (DELIVERED, 2, now)


@pytest.mark.parametrize(
    "answer",
    [status(500), status(502), raises(httpx2.ReadTimeout), raises(httpx2.ConnectError)],
    ids=["500", "502", "timeout", "connection-error"],
)
async def test_server_errors_and_network_failures_back_off(
    database: Database, answer: Answer
) -> None:
    # Given a host that fails without a usable answer
    sender = await create_sender(database)
    await create_remote_actor(database)
    await enqueue(database, sender)
    remote = RemoteInboxes(answer)
    now = utcnow()

    # When the worker tries twice, each time when the row is due
    delivery_worker = worker(database, remote)
    await delivery_worker.run_once(now=now)
    first = await only_delivery(database)
    await delivery_worker.run_once(now=first.next_attempt_at)
    second = await only_delivery(database)

    # Then the row stays queued, each retry at least 30 s away and never beyond the cap
    assert first.state == QUEUED and second.state == QUEUED
    assert 30 <= seconds_between(first.next_attempt_at, now) <= BACKOFF_CAP_SECONDS
    assert 30 <= seconds_between(second.next_attempt_at, first.next_attempt_at) <= 120
    assert (second.attempts, second.first_attempt_at) == (2, now)
    assert second.last_error
    assert len(remote.requests) == 2


async def test_404_gives_up(database: Database) -> None:
    # Given an inbox that does not exist
    sender = await create_sender(database)
    await create_remote_actor(database)
    await enqueue(database, sender)
    remote = RemoteInboxes(status(404))

    # When the worker delivers
    await worker(database, remote).run_once(now=utcnow())

    # Then it gives up at once
    row = await only_delivery(database)
    assert (row.state, row.last_status, row.attempts) == (GAVE_UP, 404, 1)
    assert row.finished_at is not None


async def test_410_gives_up_and_marks_the_actor_gone(database: Database) -> None:
    # Given a remote actor whose inbox answers 410 Gone
    sender = await create_sender(database)
    remote_actor = await create_remote_actor(database)
    await enqueue(database, sender)
    remote = RemoteInboxes(status(410))

    # When the worker delivers
    await worker(database, remote).run_once(now=utcnow())

    # Then it gives up and the actor is marked gone
    row = await only_delivery(database)
    assert (row.state, row.last_status) == (GAVE_UP, 410)
    assert (await actor_row(database, remote_actor.id)).is_gone
    assert not (await actor_row(database, sender.id)).is_gone


@pytest.mark.parametrize("code", [400, 403, 422])
async def test_other_4xx_give_up_with_the_status(database: Database, code: int) -> None:
    # Given an inbox that refuses the activity
    sender = await create_sender(database)
    remote_actor = await create_remote_actor(database)
    await enqueue(database, sender)
    remote = RemoteInboxes(status(code))

    # When the worker delivers
    delivery_worker = worker(database, remote)
    await delivery_worker.run_once(now=utcnow())

    # Then it gives up, keeps the status, does not retry, and the actor is not gone
    row = await only_delivery(database)
    assert (row.state, row.last_status, row.attempts) == (GAVE_UP, code, 1)
    assert await delivery_worker.run_once(now=utcnow() + timedelta(days=1)) == 0
    assert len(remote.requests) == 1
    assert not (await actor_row(database, remote_actor.id)).is_gone


async def test_a_delivery_failing_for_seven_days_gives_up(database: Database) -> None:
    # Given a delivery whose first attempt failed seven days ago
    sender = await create_sender(database)
    await create_remote_actor(database)
    await enqueue(database, sender)
    remote = RemoteInboxes(status(500))
    delivery_worker = worker(database, remote)
    start = utcnow()
    await delivery_worker.run_once(now=start)
    assert (await only_delivery(database)).state == QUEUED

    # When it fails again past the seven days
    later = start + timedelta(days=7, seconds=1)
    await delivery_worker.run_once(now=later)

    # Then it gives up, and is never tried again
    row = await only_delivery(database)
    assert (row.state, row.attempts, row.last_status) == (GAVE_UP, 2, 500)
    assert row.first_attempt_at == start and row.finished_at == later
    assert await delivery_worker.run_once(now=later + timedelta(days=1)) == 0


async def test_circuit_breaker_parks_a_failing_host_probes_it_and_resumes(
    database: Database,
) -> None:
    # Given three deliveries to a host that fails
    sender = await create_sender(database)
    inboxes = [f"http://remote.test/users/{name}/inbox" for name in ("a", "b", "c")]
    for inbox in inboxes:
        await create_remote_actor(database, inbox)
    await enqueue(database, sender, inboxes)
    remote = RemoteInboxes(status(500))
    delivery_worker = worker(database, remote)
    start = utcnow()
    assert await delivery_worker.run_once(now=start) == 3
    host = await host_row(database, "remote.test")
    assert host is not None and host.parked_until is None and host.first_failure_at == start

    # When it is still failing more than a day later
    day_later = start + timedelta(days=1, minutes=1)
    assert await delivery_worker.run_once(now=day_later) == 3

    # Then the host is parked, and its due rows are not claimed while it is
    host = await host_row(database, "remote.test")
    assert host is not None and host.parked_until is not None
    parked_until = host.parked_until
    assert parked_until > day_later + timedelta(minutes=30)
    rows = await deliveries(database)
    assert all(row.state == QUEUED and row.next_attempt_at < parked_until for row in rows)
    remote.requests.clear()
    assert await delivery_worker.run_once(now=parked_until - timedelta(seconds=1)) == 0
    assert remote.requests == []

    # When the park ends and the host still fails
    first_probe = parked_until + timedelta(seconds=1)
    assert await delivery_worker.run_once(now=first_probe) == 1

    # Then a single row was tried, the others released, and the host parked again
    assert len(remote.requests) == 1
    assert all(row.locked_until is None for row in await deliveries(database))
    host = await host_row(database, "remote.test")
    assert host is not None and host.parked_until is not None
    assert host.parked_until > first_probe
    parked_until = host.parked_until

    # Given one row whose backoff would keep it waiting long after the host is back
    async with database.transaction() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.inbox_uri == inboxes[2])
            .values(next_attempt_at=parked_until + timedelta(hours=6))
        )

    # When the next probe succeeds
    remote.requests.clear()
    remote.answer = status(202)
    second_probe = parked_until + timedelta(seconds=1)
    assert await delivery_worker.run_once(now=second_probe) == 1
    assert len(remote.requests) == 1

    # Then the host is resumed, and every remaining row goes at once
    host = await host_row(database, "remote.test")
    assert host is not None and host.parked_until is None and host.consecutive_failures == 0
    assert await delivery_worker.run_once(now=second_probe) == 2
    assert sorted(inbox for inbox, _ in remote.received()) == sorted(inboxes)
    assert {row.state for row in await deliveries(database)} == {DELIVERED}


async def test_recipients_share_an_inbox_once_and_blocked_domains_get_nothing(
    database: Database,
) -> None:
    # Given two followers on one host sharing its sharedInbox, one follower without a shared
    # inbox, and one follower on a subdomain of a blocked domain
    sender = await create_sender(database)
    shared = "http://shared.test/inbox"
    for name in ("ana", "bo"):
        follower = await create_remote_actor(
            database, f"http://shared.test/users/{name}/inbox", shared_inbox_uri=shared
        )
        await follow(database, follower, sender)
    await follow(database, await create_remote_actor(database), sender)
    blocked_follower = await create_remote_actor(
        database,
        "http://social.blocked.test/users/z/inbox",
        shared_inbox_uri="http://social.blocked.test/inbox",
    )
    await follow(database, blocked_follower, sender)
    async with database.transaction() as session:
        session.add(DomainBlock(domain="blocked.test", reason="spam"))

    # When an activity goes to the followers, and also names the shared inbox and a blocked one
    document_id = f"{sender.uri}/activities/fanout"
    async with database.transaction() as session:
        await enqueue_activity(
            session,
            sender,
            {"id": document_id, "type": "Create", "actor": sender.uri, "object": "x"},
            inboxes=[shared, "http://blocked.test/inbox"],
        )

    # Then one row per inbox: the shared one once, the personal one, nothing blocked
    rows = await deliveries(database)
    assert sorted((row.inbox_uri, row.host) for row in rows) == [
        (REMOTE_INBOX, "remote.test"),
        (shared, "shared.test"),
    ]

    # When the worker delivers, each inbox receives the activity once
    remote = RemoteInboxes(status(202))
    await worker(database, remote).run_once(now=utcnow())
    assert sorted(remote.received()) == [(REMOTE_INBOX, document_id), (shared, document_id)]
