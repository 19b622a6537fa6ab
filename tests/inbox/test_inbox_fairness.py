"""A slow or hostile origin delays only its own items: the inbox worker handles items
concurrently, fairly between origins, in order for each sender, and time-boxes remote fetches."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import inbox.origins as inbox_origins
import inbox.worker as inbox_worker
from inbox.worker import InboxWorker
from storage.models import Actor, Follow, InboxItem, utcnow
from storage.models.queue import DONE, QUEUED
from tests.inbox.other_origin import (
    OTHER_HOST,
    SLOW_HOST,
    SlowServer,
    announce,
    follows_from_other_origin,
    new_resident,
    note_create,
    other_actor,
    post_from_other_origin,
    slow_and_other_origins,
    states,
)
from tests.inbox.signing import InboxHarness, inbox_harness
from tests.support import SETTLE_TIMEOUT, wait_until

ANNOUNCES = 12


async def test_a_follow_is_handled_while_a_slow_origin_blocks_its_own_announces(
    tmp_path: Path, database_kind: str
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind) as inbox,
        slow_and_other_origins(inbox) as (slow, others),
    ):
        # Given twelve signed Announces from mastodon.test, each of an object on a server
        # that does not answer, then one Follow of a resident from another origin
        inbox.add_remote("alice")
        resident = await new_resident(inbox, "jeanmarc")
        for number in range(ANNOUNCES):
            response = await inbox.post_signed(announce(number), signer="alice")
            assert response.status_code == 202
        others["bob"] = other_actor("bob")
        follow = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"http://{OTHER_HOST}/u/bob/follows/1",
            "type": "Follow",
            "actor": f"http://{OTHER_HOST}/u/bob",
            "object": resident,
        }
        await post_from_other_origin(inbox, "bob", follow)

        # When the inbox worker runs as it does in production
        stop = asyncio.Event()
        worker = InboxWorker(inbox.instance)
        running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
        try:

            async def follow_done_while_slow_holds() -> bool:
                return slow.waiting > 0 and (await states(inbox)).get("Follow") == DONE

            await wait_until(follow_done_while_slow_holds, "the Follow handled")

            # Then the Follow is handled and its Follow row written, while the slow server
            # still holds the Announces, one at a time (one sender's items go in order)
            assert (await states(inbox))["Announce"] == QUEUED
            assert slow.waiting == 1
            assert len(slow.received) == 1
            async with inbox.instance.database.session() as session:
                follower = await session.scalar(
                    select(Actor.id).where(Actor.uri == f"http://{OTHER_HOST}/u/bob")
                )
                assert follower is not None
                assert await session.scalar(select(Follow).where(Follow.follower_id == follower))

            # When the slow server finally answers
            slow.release.set()

            async def all_done() -> bool:
                return set((await states(inbox)).values()) == {DONE}

            await wait_until(all_done, "every item handled")
        finally:
            stop.set()
            await running

        # Then each Announce's object was fetched once, in the order they arrived
        assert slow.received == [f"http://{SLOW_HOST}/notes/{n}" for n in range(ANNOUNCES)]


async def test_a_remote_fetch_inside_a_handler_stops_at_fetch_timeout_seconds(
    tmp_path: Path, database_kind: str
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind, fetch_timeout_seconds=2.0) as inbox,
        slow_and_other_origins(inbox) as (slow, _others),
    ):
        # Given an Announce of an object on a server that never answers (the bound is wide
        # enough for the other fetches a loaded machine makes: alice's key)
        inbox.add_remote("alice")
        response = await inbox.post_signed(announce(1), signer="alice")
        assert response.status_code == 202

        # When the worker handles it (guarded, so a fetch that is not time-boxed fails here)
        handled = await asyncio.wait_for(InboxWorker(inbox.instance).run_once(), SETTLE_TIMEOUT)

        # Then the fetch was made, gave up at the configured timeout, and the item is done
        # while the server is still holding the request
        assert handled == 1
        assert slow.received == [f"http://{SLOW_HOST}/notes/1"]
        assert not slow.release.is_set()
        assert await states(inbox) == {"Announce": DONE}


SENDERS = ("alice", "bruno", "chloe", "dario")


async def slow_announces_from_four_senders(inbox: InboxHarness) -> None:
    for number, sender in enumerate(SENDERS):
        inbox.add_remote(sender)
        response = await inbox.post_signed(announce(number, sender), signer=sender)
        assert response.status_code == 202


async def step_while_slow_holds(inbox: InboxHarness, slow: SlowServer, holding: int) -> int:
    """One worker step; the slow server answers once ``holding`` fetches wait (and a few more
    turns of the loop have passed, for any other to arrive)."""
    step = asyncio.create_task(InboxWorker(inbox.instance).run_once())

    async def held() -> bool:
        return slow.waiting == holding

    await wait_until(held, f"{holding} fetches waiting")
    for _ in range(50):
        await asyncio.sleep(0)
    slow.release.set()
    return await asyncio.wait_for(step, SETTLE_TIMEOUT)


async def test_inbox_workers_bounds_the_items_handled_at_once(
    tmp_path: Path, database_kind: str
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind, inbox_workers=2) as inbox,
        slow_and_other_origins(inbox) as (slow, _others),
    ):
        # Given four senders of one origin, each announcing an object on a slow server, and
        # inbox_workers = 2
        await slow_announces_from_four_senders(inbox)

        # When the worker takes one step
        handled = await step_while_slow_holds(inbox, slow, 2)

        # Then all four were handled, never more than two at once
        assert handled == 4
        assert slow.most_waiting == 2
        assert await states(inbox) == {"Announce": DONE}


async def test_per_origin_concurrency_bounds_the_items_of_one_origin(
    tmp_path: Path, database_kind: str
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind, per_origin_concurrency=2) as inbox,
        slow_and_other_origins(inbox) as (slow, _others),
    ):
        # Given four senders of one origin, each announcing an object on a slow server, and
        # per_origin_concurrency = 2
        await slow_announces_from_four_senders(inbox)

        # When the worker takes one step
        handled = await step_while_slow_holds(inbox, slow, 2)

        # Then it took two items of that origin, and left the two others queued
        assert handled == 2
        assert slow.most_waiting == 2
        async with inbox.instance.database.session() as session:
            left = (await session.scalars(select(InboxItem.state))).all()
        assert sorted(left) == [DONE, DONE, QUEUED, QUEUED]


async def test_an_origin_whose_items_are_read_at_once_is_given_a_growing_share(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every read counts as fast, however loaded the machine (slow reads: test_origin_shares)
    monkeypatch.setattr(inbox_origins, "FAST_READ_SECONDS", SETTLE_TIMEOUT)
    async with (
        inbox_harness(tmp_path, database_kind, per_origin_concurrency=2) as inbox,
        slow_and_other_origins(inbox) as (_slow, others),
    ):
        # Given thirty people of one origin, each following a resident (nothing to fetch), and
        # per_origin_concurrency = 2
        resident = await new_resident(inbox, "jeanmarc")
        await follows_from_other_origin(
            inbox, others, [(f"voisin{number}", resident) for number in range(30)]
        )

        # When the worker takes steps
        worker = InboxWorker(inbox.instance)
        handled = [await worker.run_once() for _ in range(4)]

        # Then it takes two at first, and twice as many at each step while they go fast
        assert handled == [2, 4, 8, 16]
        assert await states(inbox) == {"Follow": DONE}


async def test_a_claim_takes_one_follow_per_sender_and_leaves_the_next_ones_in_order(
    tmp_path: Path, database_kind: str
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind) as inbox,
        slow_and_other_origins(inbox) as (_slow, others),
    ):
        # Given voisin0 following three residents, and voisin1 and voisin2 following one
        residents = [await new_resident(inbox, name) for name in ("ana", "ben", "cyd")]
        follows = [("voisin0", residents[0]), ("voisin0", residents[1]), ("voisin1", residents[0]),
                   ("voisin0", residents[2]), ("voisin2", residents[0])]  # fmt: skip
        await follows_from_other_origin(inbox, others, follows)

        # When the worker takes steps
        worker = InboxWorker(inbox.instance)
        handled = [await worker.run_once() for _ in range(3)]

        # Then each step took one item of each sender with some left: voisin0's in order
        assert handled == [3, 1, 1]
        async with inbox.instance.database.session() as session:
            done = await session.scalars(
                select(InboxItem.activity_uri)
                .where(InboxItem.actor_uri == f"http://{OTHER_HOST}/u/voisin0")
                .order_by(InboxItem.processed_at, InboxItem.id)
            )
            assert [uri.rsplit("/", 1)[1] for uri in done] == ["0", "1", "3"]


async def test_a_claim_takes_a_senders_consecutive_creates_together_and_stops_at_anything_else(
    tmp_path: Path, database_kind: str
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind) as inbox,
        slow_and_other_origins(inbox) as (_slow, others),
    ):
        # Given voisin0 posting two notes, following a resident, then posting again, and
        # voisin1 posting one note
        resident = await new_resident(inbox, "ana")
        for username in ("voisin0", "voisin1"):
            others[username] = other_actor(username)
        await post_from_other_origin(inbox, "voisin0", note_create("voisin0", 0))
        await post_from_other_origin(inbox, "voisin0", note_create("voisin0", 1))
        await follows_from_other_origin(inbox, others, [("voisin0", resident)])
        await post_from_other_origin(inbox, "voisin1", note_create("voisin1", 2))
        await post_from_other_origin(inbox, "voisin0", note_create("voisin0", 3))

        # When the worker takes steps
        worker = InboxWorker(inbox.instance)
        handled = [await worker.run_once() for _ in range(4)]

        # Then the first took voisin0's two notes and voisin1's; the Follow came alone, then
        # the last note: voisin0's items were applied in the order they arrived
        assert handled == [3, 1, 1, 0]
        async with inbox.instance.database.session() as session:
            done = await session.scalars(
                select(InboxItem.activity_uri)
                .where(InboxItem.actor_uri == f"http://{OTHER_HOST}/u/voisin0")
                .order_by(InboxItem.processed_at, InboxItem.id)
            )
            assert [uri.rsplit("/", 2)[1] for uri in done] == [
                "creates", "creates", "follows", "creates"
            ]  # fmt: skip
            assert await session.scalar(select(Follow.id)) is not None
        assert await states(inbox) == {"Create": DONE, "Follow": DONE}


async def test_a_senders_run_of_creates_never_goes_past_sender_run(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind) as inbox,
        slow_and_other_origins(inbox) as (_slow, others),
    ):
        # Given a run of at most three, and voisin0 posting five notes
        monkeypatch.setattr(inbox_worker, "SENDER_RUN", 3)
        others["voisin0"] = other_actor("voisin0")
        for number in range(5):
            await post_from_other_origin(inbox, "voisin0", note_create("voisin0", number))

        # When the worker takes steps
        worker = InboxWorker(inbox.instance)
        handled = [await worker.run_once() for _ in range(3)]

        # Then it took three, then the two left
        assert handled == [3, 2, 0]
        assert await states(inbox) == {"Create": DONE}


async def test_a_senders_next_item_is_claimed_as_soon_as_its_run_is_done(
    tmp_path: Path, database_kind: str
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind) as inbox,
        slow_and_other_origins(inbox) as (_slow, others),
    ):
        # Given voisin0 posting a note, then following a resident: two runs, one after the other
        await note_then_follow(inbox, others)

        # When the worker runs with nothing else to wake it (an idle wait far beyond the test)
        # Then the Follow is claimed once the note is done, not an idle wait later
        await run_until_both_are_done(inbox, InboxWorker(inbox.instance))


async def test_a_sender_is_free_for_the_claim_its_recorded_run_wakes(
    tmp_path: Path, database_kind: str
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind) as inbox,
        slow_and_other_origins(inbox) as (_slow, others),
    ):
        # Given voisin0 posting a note, then following a resident: two runs, one after the other
        await note_then_follow(inbox, others)

        # When the worker runs, and a claim that finds nothing would pause far beyond the test
        worker = InboxWorker(inbox.instance)
        worker.small_claim = 1
        worker.linger_after_small_claim = 3600

        # Then the claim woken by the note's commit finds voisin0 free, and takes the Follow
        await run_until_both_are_done(inbox, worker)


async def note_then_follow(
    inbox: InboxHarness, others: dict[str, dict[str, Any]], notes: int = 1
) -> None:
    """voisin0 posts ``notes`` notes, then follows a resident."""
    resident = await new_resident(inbox, "ana")
    others["voisin0"] = other_actor("voisin0")
    for number in range(notes):
        await post_from_other_origin(inbox, "voisin0", note_create("voisin0", number))
    await follows_from_other_origin(inbox, others, [("voisin0", resident)])


async def run_until_both_are_done(inbox: InboxHarness, worker: InboxWorker) -> None:
    """Run ``worker`` as the server does, with an idle wait far beyond the test, until the
    note and the Follow are handled (or the settle timeout fails the test)."""
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=3600))
    try:

        async def both_done() -> bool:
            return await states(inbox) == {"Create": DONE, "Follow": DONE}

        await wait_until(both_done, "both items handled within the settle timeout")
    finally:
        stop.set()
        await running


async def test_a_sender_stays_busy_until_the_last_outcome_of_its_run_is_written(
    tmp_path: Path, database_kind: str
) -> None:
    async with (
        inbox_harness(tmp_path, database_kind) as inbox,
        slow_and_other_origins(inbox) as (_slow, others),
    ):
        # Given voisin0 posting three notes, then following a resident
        await note_then_follow(inbox, others, notes=3)

        # When a worker claims the three notes, and their outcomes are written one at a time
        worker = InboxWorker(inbox.instance)
        run = await worker._claim(utcnow(), 10)
        assert [item.activity_type for item in run] == ["Create"] * 3
        assert {item.locked_by for item in run} == {worker.worker_id}
        # (its next claims look past the leases, as after a renewal held up on a busy machine)
        past_the_leases = utcnow() + worker.lease + timedelta(seconds=1)
        for written, item in enumerate(run, start=1):
            # Then, while one of them is still held, none of voisin0's items is claimed again
            assert await worker._claim(past_the_leases, 10) == []
            worker._recorder.add(worker._outcome(item, None))
            await worker._recorder.flush()
            # and the load of their server counts those still held
            held = len(run) - written
            assert worker._origin_load == ({item.origin: held} if held else {})

        # And once the last is written, the Follow is
        assert [item.activity_type for item in await worker._claim(past_the_leases, 10)] == [
            "Follow"
        ]
