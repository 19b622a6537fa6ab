"""A sender's activities are applied in the order they arrived even with several inbox workers
(``serve --no-workers`` beside ``quartiers worker`` processes): a claim passes over a sender one
of whose items another worker holds, and claims never run side by side on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from inbox.claims import CLAIMS_TURN
from inbox.worker import InboxWorker
from storage.models import InboxItem
from storage.models.queue import DONE, QUEUED
from tests.inbox.other_origin import (
    announce,
    new_resident,
    slow_and_other_origins,
)
from tests.inbox.signing import InboxHarness, actor_uri, inbox_harness
from tests.support import POSTGRES_URL_ENV, SETTLE_TIMEOUT, postgres_url, wait_until

# Someone waiting for the claims' advisory lock in this database (a key under 2**32 is its objid).
WAITING_FOR_CLAIMS_TURN = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = :key"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def follow(sender: str, number: int, resident: str) -> dict[str, str]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor_uri(sender)}/follows/{number}",
        "type": "Follow",
        "actor": actor_uri(sender),
        "object": resident,
    }


async def post(inbox: InboxHarness, document: dict[str, str], sender: str) -> None:
    response = await inbox.post_signed(document, signer=sender)
    assert response.status_code == 202, response.text


async def states_by_activity(inbox: InboxHarness) -> dict[str, str]:
    async with inbox.instance.database.session() as session:
        rows = await session.execute(select(InboxItem.activity_uri, InboxItem.state))
        return {uri.removeprefix("http://mastodon.test/users/"): state for uri, state in rows}


async def test_a_worker_passes_over_a_sender_whose_earlier_item_another_worker_holds(
    tmp_path: Path, database_kind: str
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind) as inbox,
        slow_and_other_origins(inbox) as (slow, _others),
    ):
        # Given alice announcing an object on a server that holds every request, then
        # following a resident
        resident = await new_resident(inbox, "ana")
        inbox.add_remote("alice")
        inbox.add_remote("bruno")
        await post(inbox, announce(1, "alice"), "alice")
        await post(inbox, follow("alice", 1, resident), "alice")

        # When one worker takes her Announce and waits on the slow server, and bruno's Follow
        # arrives meanwhile
        first = InboxWorker(inbox.instance)
        holding = asyncio.create_task(first.run_once())

        async def fetch_waiting() -> bool:
            return slow.waiting == 1

        await wait_until(fetch_waiting, "the Announce's object requested")
        await post(inbox, follow("bruno", 1, resident), "bruno")

        # Then a second worker takes bruno's Follow, not alice's, which waits for her Announce
        second = InboxWorker(inbox.instance)
        assert await second.run_once() == 1
        assert await states_by_activity(inbox) == {
            "alice/announces/1": QUEUED,
            "alice/follows/1": QUEUED,
            "bruno/follows/1": DONE,
        }

        # When the slow server answers and the first worker is done
        slow.release.set()
        assert await asyncio.wait_for(holding, SETTLE_TIMEOUT) == 1

        # Then alice's Follow is free for the second worker, after her Announce
        assert await second.run_once() == 1
        async with inbox.instance.database.session() as session:
            order = await session.scalars(
                select(InboxItem.activity_uri)
                .where(InboxItem.actor_uri == actor_uri("alice"))
                .order_by(InboxItem.processed_at, InboxItem.id)
            )
            assert [uri.split("/")[-2] for uri in order] == ["announces", "follows"]
        assert set((await states_by_activity(inbox)).values()) == {DONE}


@pytest.mark.skipif(
    postgres_url() is None,
    reason=f"needs PostgreSQL (claims from several connections): set {POSTGRES_URL_ENV}",
)
async def test_a_claim_waits_for_a_claim_in_progress_in_another_process(tmp_path: Path) -> None:
    async with inbox_harness(tmp_path, "postgresql") as inbox:
        # Given a Follow to handle, and another process in the middle of a claim (holding the
        # lock every inbox claim takes)
        resident = await new_resident(inbox, "ana")
        inbox.add_remote("alice")
        await post(inbox, follow("alice", 1, resident), "alice")
        engine = inbox.instance.database.write_engine
        async with engine.connect() as other_process:
            await other_process.execute(select(func.pg_advisory_lock(CLAIMS_TURN)))

            # When a worker takes a step
            step = asyncio.create_task(InboxWorker(inbox.instance).run_once())

            async def waiting_for_the_lock() -> bool:
                async with engine.connect() as observer:
                    waiting = await observer.scalar(WAITING_FOR_CLAIMS_TURN, {"key": CLAIMS_TURN})
                return step.done() or bool(waiting)

            await wait_until(waiting_for_the_lock, "the step waiting or done")

            # Then it waits for that claim to end before reading what is free
            assert not step.done()
            await other_process.execute(select(func.pg_advisory_unlock(CLAIMS_TURN)))
            assert await asyncio.wait_for(step, SETTLE_TIMEOUT) == 1
