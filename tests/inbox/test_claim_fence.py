"""The work of a received activity is applied only under the claim that holds it: an item given
back or taken over by another worker before its batch is written is left to whoever holds it; and
an item claimed is never stranded by a failure around its claim."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from inbox.worker import InboxWorker
from storage.models import Actor, InboxItem, utcnow
from storage.models.queue import DONE, QUEUED
from tests.inbox.fediverse import fediverse
from tests.inbox.held_batches import a_note_from_alice, hold_up_batches, notes_from_alice
from tests.support import wait_until


async def test_an_item_taken_over_before_its_batch_is_not_applied_twice(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given a note from alice, read by a worker whose batch writer is held up
        note_id = await a_note_from_alice(world)
        worker = InboxWorker(world.instance)
        held = hold_up_batches(worker)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
        try:
            async with asyncio.timeout(30):
                await held.writing.wait()

            # When its lease runs out meanwhile and another worker claims the item, and the
            # held-up batch then goes through
            rival_lease = utcnow() + timedelta(minutes=5)
            async with world.instance.database.transaction() as session:
                await session.execute(
                    update(InboxItem).values(
                        claim_token="rival", locked_by="rival", locked_until=rival_lease
                    )
                )
            held.written.set()

            async def given_up() -> bool:
                return len(worker._held) == 0

            await wait_until(given_up, "the lost item no longer held")
        finally:
            held.written.set()
            stop.set()
            await running

        # Then nothing of the note was applied, and the item is the rival's, untouched
        assert await world.post(note_id) is None
        [item] = await world.inbox_items()
        assert (item.state, item.attempts, item.claim_token) == (QUEUED, 0, "rival")


async def test_items_claimed_are_handled_when_reading_their_senders_fails(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given two notes from alice, and a first reading of a claim's senders that fails with
        # an error of no expected kind (a stored actor row that does not read back)
        note_ids = await notes_from_alice(world, 2)
        actors = world.instance.remote_actors
        read = actors.stored_actors
        failures = 0

        async def fails_once(uris: Iterable[str]) -> dict[str, Actor]:
            nonlocal failures
            if not failures:
                failures += 1
                raise ValueError("an actor row that does not read back")
            return await read(uris)

        actors.stored_actors = fails_once  # type: ignore[method-assign]

        # When a worker runs
        worker = InboxWorker(world.instance)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
        try:

            async def all_done() -> bool:
                return all(item.state == DONE for item in await world.inbox_items())

            # Then each item reads its sender itself: both notes are handled, none stranded
            await wait_until(all_done, "both items handled")
        finally:
            stop.set()
            await running
        assert failures == 1
        for note_id in note_ids:
            assert await world.post(note_id) is not None
