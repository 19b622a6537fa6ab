"""A stopping inbox worker writes the outcomes it has before it ends and gives back what it holds:
an item handled just before the stop is recorded done, not left to be handled again."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from inbox.worker import InboxWorker
from storage.models import utcnow
from storage.models.queue import DONE, QUEUED
from tests.inbox.fediverse import activity, fediverse
from tests.inbox.held_batches import a_note_from_alice, hold_up_batches
from tests.support import wait_until


async def test_outcomes_are_written_before_a_stopping_worker_gives_back_its_items(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given three activities from alice of a type we do not act on (she listened to a
        # song): nothing to apply, so each outcome is left to the worker's recorder
        alice = world["mastodon.test"].add_actor("alice")
        for number in range(3):
            song = f"{alice}/songs/{number}"
            posted = await world.post_as(alice, activity("Listen", alice, song, number))
            assert posted.status_code == 202
        # And a worker whose writing of outcomes is held up
        worker = InboxWorker(world.instance)
        writing, flushing = asyncio.Event(), asyncio.Event()
        flush = worker._recorder.flush

        async def held_up_flush() -> None:
            flushing.set()
            await writing.wait()
            await flush()

        worker._recorder.flush = held_up_flush  # type: ignore[method-assign]

        # When it runs until it writes outcomes, then is told to stop, its outcomes unwritten
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
        try:
            async with asyncio.timeout(30):
                await flushing.wait()
            stop.set()
            await asyncio.sleep(0.2)  # time enough to give back what it holds, and end
            stopped_before_writing = running.done()
        finally:
            writing.set()
            stop.set()
            await running

        # Then it ended only once its outcomes were written: what it handled is recorded done,
        # and what it had not reached (alice's next items wait for her first) is queued, free
        assert not stopped_before_writing
        states = [(item.state, item.claim_token) for item in await world.inbox_items()]
        assert states[0] == (DONE, None)
        assert set(states) <= {(DONE, None), (QUEUED, None)}


async def test_a_stopping_worker_ends_once_the_batch_in_hand_is_written(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given a note from alice, and a worker whose batch writer is held up (a busy database)
        note_id = await a_note_from_alice(world)
        worker = InboxWorker(world.instance)
        worker.stop_grace_seconds = 1.0
        held = hold_up_batches(worker)

        # When it is told to stop while the note's batch waits, until the time it lets the
        # items in hand end is past and they are cancelled, and the batch then goes through
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
        try:
            async with asyncio.timeout(30):
                await held.writing.wait()
            stop.set()

            async def in_hand_cancelled() -> bool:
                return not worker._tasks

            await wait_until(in_hand_cancelled, "the items in hand cancelled")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(running), 0.5)
            stopped_before_writing = running.done()
        finally:
            held.written.set()
            await running

        # Then the worker waited for the batch: the note is stored and its item done, not
        # given back to be handled a second time
        assert not stopped_before_writing
        assert await world.post(note_id) is not None
        [item] = await world.inbox_items()
        assert (item.state, item.claim_token) == (DONE, None)


async def test_a_batch_still_held_up_when_the_worker_stops_is_not_applied(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given a note from alice, and a worker whose batch writer never gets through
        note_id = await a_note_from_alice(world)
        worker = InboxWorker(world.instance)
        worker.stop_grace_seconds = 0.2
        held = hold_up_batches(worker)

        # When it is told to stop while the note's batch waits
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
        async with asyncio.timeout(30):
            await held.writing.wait()
        stop.set()
        async with asyncio.timeout(30):
            await running

        # Then the batch was cancelled with the worker, nothing of it applied, and the item
        # given back unattempted, for the next worker
        assert not worker._applier._tasks
        assert await world.post(note_id) is None
        [item] = await world.inbox_items()
        assert (item.state, item.attempts, item.claim_token) == (QUEUED, 0, None)


async def test_outcomes_a_stopping_worker_cannot_write_keep_their_lease(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given an activity from alice we do not act on (its outcome left to the recorder),
        # and a worker whose every write of such outcomes fails
        alice = world["mastodon.test"].add_actor("alice")
        posted = await world.post_as(alice, activity("Listen", alice, f"{alice}/songs/1", 1))
        assert posted.status_code == 202
        worker = InboxWorker(world.instance)
        failed = asyncio.Event()

        async def failing_flush() -> None:
            failed.set()
            raise OSError("database is locked")

        worker._recorder.flush = failing_flush  # type: ignore[method-assign]

        # When it has handled the item and failed to write its outcome, then is told to stop
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
        async with asyncio.timeout(30):
            await failed.wait()
        stop.set()
        async with asyncio.timeout(30):
            await running

        # Then the item is not given back to be handled again at once: it stays leased
        [item] = await world.inbox_items()
        assert item.state == QUEUED and item.claim_token is not None
        assert item.locked_until is not None and item.locked_until > utcnow()
