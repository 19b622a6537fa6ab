"""A stopping inbox worker writes the outcomes it has before it ends and gives back what it holds:
an item handled just before the stop is recorded done, not left to be handled again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from inbox.worker import InboxWorker
from storage.models.queue import DONE, QUEUED
from tests.inbox.fediverse import activity, fediverse


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
