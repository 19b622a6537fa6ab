"""An activity whose handling fails is tried again later, less and less often, then given up.

The worker is stepped with explicit moments instead of sleeping: ``run_once(now=…)`` claims what
is due at that moment.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete

from inbox.worker import InboxWorker
from storage.models import Actor, InboxItem, Post, utcnow
from storage.models.queue import DONE, FAILED, QUEUED
from tests.inbox.fediverse import Fediverse, activity, fediverse, note

# The waits between attempts: 30 s × 4^attempts, so 2, 8, 32 and 128 minutes.
BACK_OFF = [timedelta(seconds=30 * 4**n) for n in (1, 2, 3, 4)]


async def lose_sender(world: Fediverse, uri: str) -> None:
    """Her server stops answering and paquis no longer holds a copy of her."""
    world.take_down(uri.split("/")[2])
    async with world.instance.database.transaction() as session:
        await session.execute(delete(Actor).where(Actor.uri == uri))


async def item_of(world: Fediverse, actor_uri: str) -> InboxItem:
    found = [item for item in await world.inbox_items() if item.actor_uri == actor_uri]
    assert len(found) == 1
    return found[0]


async def test_a_failing_item_is_retried_with_back_off_then_failed(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        alice = mastodon.add_actor("alice")
        bob = mobilizon.add_actor("bob")
        # Given two accepted activities, and alice cannot be resolved any more when handled
        assert (await world.post_as(alice, activity("Create", alice, note(alice, 1), 1))).status_code == 202  # fmt: skip
        assert (await world.post_as(bob, activity("Create", bob, note(bob, 1), 1))).status_code == 202  # fmt: skip
        await lose_sender(world, alice)
        worker = InboxWorker(world.instance)

        # When the worker runs
        before = utcnow()
        assert await worker.run_once(now=before) == 2
        after = utcnow()
        # Then bob's is done, and alice's is queued again with the reason, two minutes later
        assert (await item_of(world, bob)).state == DONE
        item = await item_of(world, alice)
        assert (item.state, item.attempts) == (QUEUED, 1)
        assert item.last_error is not None and "cannot be resolved" in item.last_error
        assert before + BACK_OFF[0] <= item.next_attempt_at <= after + BACK_OFF[0]
        # And it is not taken again before then
        assert await worker.run_once(now=item.next_attempt_at - timedelta(seconds=1)) == 0

        # When it keeps failing at each due moment
        for attempt, wait in enumerate(BACK_OFF[1:], start=2):
            before = utcnow()
            assert await worker.run_once(now=item.next_attempt_at) == 1
            after = utcnow()
            item = await item_of(world, alice)
            # Then each wait is four times longer than the one before
            assert (item.state, item.attempts) == (QUEUED, attempt)
            assert before + wait <= item.next_attempt_at <= after + wait

        # When the fifth attempt fails too
        assert await worker.run_once(now=item.next_attempt_at) == 1
        # Then it is given up, with its reason, and never taken again
        item = await item_of(world, alice)
        assert (item.state, item.attempts) == (FAILED, 5)
        assert item.processed_at is not None
        assert item.last_error is not None and "cannot be resolved" in item.last_error
        assert await worker.run_once(now=utcnow() + timedelta(days=365)) == 0
        assert await world.count(Post) == 1


async def test_an_item_that_fails_once_is_applied_on_its_retry(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        sent = note(alice, 1, "Marché aux puces samedi")
        assert (await world.post_as(alice, activity("Create", alice, sent, 1))).status_code == 202
        await lose_sender(world, alice)
        worker = InboxWorker(world.instance)
        # Given a first attempt that failed while her server was down
        assert await worker.run_once() == 1
        item = await item_of(world, alice)
        assert (item.state, item.attempts) == (QUEUED, 1)
        # When her server is back and the item is due again
        world.bring_up("mastodon.test")
        assert await worker.run_once(now=item.next_attempt_at) == 1
        # Then it is applied and done, its error cleared
        item = await item_of(world, alice)
        assert (item.state, item.attempts, item.last_error) == (DONE, 2, None)
        post = await world.post(sent["id"])
        assert post is not None and "Marché" in post.content_html


async def test_a_failure_is_recorded_by_its_kind_and_message_cut_at_1000_characters_and_logged(
    tmp_path: Path, database_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given an accepted activity whose sender, of a long name, cannot be resolved any more
        long_named = world["mastodon.test"].add_actor("a" * 1200)
        posted = activity("Create", long_named, note(long_named, 1), 1)
        assert (await world.post_as(long_named, posted)).status_code == 202
        await lose_sender(world, long_named)

        # When the worker handles it
        with caplog.at_level(logging.ERROR, logger="inbox.worker"):
            assert await InboxWorker(world.instance).run_once() == 1

        # Then its error is kept as the admin reads it: the kind of failure, then its message,
        # cut at 1,000 characters
        item = await item_of(world, long_named)
        failure = f"LookupError: sender {long_named} cannot be resolved"
        assert item.last_error == failure[:1000]
        # And the operator's log names the item, its activity and the whole failure
        [record] = [r for r in caplog.records if r.name == "inbox.worker"]
        assert record.getMessage() == f"inbox item {item.id} ({posted['id']}) failed"
        assert record.exc_info is not None and record.exc_info[0] is LookupError
