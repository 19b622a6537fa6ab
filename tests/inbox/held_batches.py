"""An inbox worker whose batch writer is held up (a busy database), and a note to give it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from inbox.batches import Pending
from inbox.worker import InboxWorker
from tests.inbox.fediverse import Fediverse, activity, note


@dataclass
class HeldBatches:
    """``writing`` is set once a batch waits to be written; it goes through once ``written``
    is set (never, if it is not)."""

    writing: asyncio.Event = field(default_factory=asyncio.Event)
    written: asyncio.Event = field(default_factory=asyncio.Event)


def hold_up_batches(worker: InboxWorker) -> HeldBatches:
    held = HeldBatches()
    write = worker._applier._write

    async def held_up_write(batch: list[Pending]) -> None:
        held.writing.set()
        await held.written.wait()
        await write(batch)

    worker._applier._write = held_up_write  # type: ignore[method-assign]
    return held


async def notes_from_alice(world: Fediverse, count: int) -> list[str]:
    """Alice, of mastodon.test, has sent ``count`` notes; their addresses."""
    alice = world["mastodon.test"].add_actor("alice")
    for number in range(count):
        posted = await world.post_as(alice, activity("Create", alice, note(alice, number), number))
        assert posted.status_code == 202
    return [str(note(alice, number)["id"]) for number in range(count)]


async def a_note_from_alice(world: Fediverse) -> str:
    """Alice, of mastodon.test, has sent her first note; the address of that note."""
    [note_id] = await notes_from_alice(world, 1)
    return note_id
