"""Applying received activities by group commit: one transaction for many items.

Items that are ready (their remote documents fetched) queue here; one writer opens a
transaction, keeps the batch's plain ``Create(Note)``s together (:mod:`inbox.plain_notes`),
counts its plain petition votes together (:mod:`inbox.votes`), applies each other item in a savepoint of its own, and commits them together. An
item that fails rolls back its savepoint only and reports its error to its caller (who records
a retry); if the commit itself fails, each item is applied again alone. An item that applies
without error is marked done in the same transaction: what it changed and its outcome are
committed together, and one statement records the whole batch's outcomes. A sender's items come
as one run (:meth:`BatchedApply.apply_run`): a run is never split between batches and is applied
in its order, and the sender's next run comes only once this one is committed.

One commit per batch instead of one per item is what lets the worker keep up with a busy
inbox: SQLite has one writer, PostgreSQL pays a flush per commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.context import InboxContext
from inbox.dispatch import apply
from inbox.fetches import Fetched
from inbox.plain_notes import apply_plain_creates
from inbox.votes import apply_votes
from storage.claims import record_outcomes, still_held
from storage.database import Database
from storage.models import InboxItem

log = logging.getLogger(__name__)

MAX_BATCH = 512
"""Items a claim takes at most, and a batch on SQLite. Larger claims hold a busy sender's
consecutive notes together and make claims, batches and commits fewer: at 128, one process
handled a sustained 1,500 received notes a second on neither database
(`bench/inbox_end_to_end.py`)."""
POSTGRESQL_BATCH = 128
"""A batch on PostgreSQL, which runs several at once: a claim's items are shared between the
writers. Batches of 512 there left the other writers idle and took a petition's 10,000 votes
from about 4.4 to 5.2 s (`bench/petitions.py`)."""
Outcome = Mapping[str, Any]
Pending = tuple[InboxContext, Fetched, Outcome | None, "asyncio.Future[None]"]


class ClaimLost(Exception):
    """The item's claim was given back or taken over before its batch was applied: its work is
    not applied (whoever holds it now does that), and its outcome is not this worker's to write."""


class BatchedApply:
    """At most ``writers`` transactions at a time, each applying up to ``max_batch`` items.

    ``on_recorded`` is told the inbox items whose outcome was written with their changes, once
    that transaction has committed.
    """

    def __init__(
        self,
        database: Database,
        writers: int,
        on_recorded: Callable[[list[int]], None] | None = None,
    ) -> None:
        self.database = database
        self.writers = writers
        self.on_recorded = on_recorded
        self.max_batch = MAX_BATCH if database.is_sqlite else POSTGRESQL_BATCH
        self._pending: list[list[Pending]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def apply_run(
        self, run: Sequence[tuple[InboxContext, Fetched, Outcome | None]]
    ) -> list[BaseException | None]:
        """Apply one sender's items, in order, in the same transaction; once it is committed,
        what each item's handler raised (None for those applied).

        Each item's ``done`` is its inbox outcome (as :func:`storage.claims.record_outcomes`
        takes it), written in the same transaction when the item applies without error.
        """
        loop = asyncio.get_running_loop()
        group: list[Pending] = [
            (ctx, fetched, done, loop.create_future()) for ctx, fetched, done in run
        ]
        self._pending.append(group)
        if len(self._tasks) < self.writers:
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
        futures = [future for *_item, future in group]
        return await asyncio.shield(asyncio.gather(*futures, return_exceptions=True))

    async def finish(self, most_seconds: float) -> None:
        """Let the batches queued or being written end (a worker stopping), for at most
        ``most_seconds``; what is still running then is cancelled, its transaction rolled back."""
        if not self._tasks:
            return
        _done, running = await asyncio.wait(set(self._tasks), timeout=most_seconds)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def _next_batch(self) -> list[Pending]:
        """Whole runs, oldest first, up to ``max_batch`` items (at least one run)."""
        batch: list[Pending] = []
        taken = 0
        while taken < len(self._pending) and (
            not batch or len(batch) + len(self._pending[taken]) <= self.max_batch
        ):
            batch += self._pending[taken]
            taken += 1
        del self._pending[:taken]
        return batch

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._next_batch()
                try:
                    await self._write(batch)
                finally:
                    for *_item, future in batch:
                        if not future.done():
                            future.set_exception(RuntimeError("the batch was interrupted"))
        finally:
            # Leave the writer set before yielding to the loop again: an item queued after the
            # last check must find no writer here and start one, or it would wait forever.
            current = asyncio.current_task()
            if current is not None:
                self._tasks.discard(current)

    @staticmethod
    async def _still_held(session: AsyncSession, batch: list[Pending]) -> list[Pending]:
        """The items of ``batch`` whose claim still holds them, in this transaction; the others
        are told :class:`ClaimLost` and left out."""
        claims = {
            outcome["id"]: outcome["claim_token"]
            for _ctx, _fetched, outcome, _future in batch
            if outcome is not None
        }
        if not claims:
            return batch
        held = await still_held(session, InboxItem, claims)
        kept: list[Pending] = []
        for pending in batch:
            outcome = pending[2]
            if outcome is None or outcome["id"] in held:
                kept.append(pending)
            elif not pending[3].done():
                pending[3].set_exception(ClaimLost(f"inbox item {outcome['id']}: claim lost"))
        return kept

    async def _write(self, batch: list[Pending]) -> None:
        errors: list[Exception | None] = []
        try:
            async with self.database.transaction() as session:
                batch = await self._still_held(session, batch)
                errors = [None] * len(batch)
                items = [(ctx, fetched) for ctx, fetched, _done, _future in batch]
                rest = await apply_plain_creates(session, items)
                for index in await apply_votes(session, items, rest):
                    ctx, fetched, _done, _future = batch[index]
                    try:
                        async with session.begin_nested():
                            await apply(session, ctx, fetched)
                    except Exception as error:
                        errors[index] = error
                done = [
                    outcome
                    for (_ctx, _fetched, outcome, _future), error in zip(batch, errors, strict=True)
                    if outcome is not None and error is None
                ]
                if done:
                    await record_outcomes(session, InboxItem, done)
        except Exception as failure:
            if len(batch) == 1:
                batch[0][3].set_exception(failure)
                return
            log.warning("inbox batch of %s failed to commit; applying one by one", len(batch))
            for pending in batch:
                await self._write([pending])
            return
        if done and self.on_recorded is not None:
            self.on_recorded([outcome["id"] for outcome in done])
        for (_ctx, _fetched, _done, future), outcome in zip(batch, errors, strict=True):
            if outcome is None:
                future.set_result(None)
            else:
                future.set_exception(outcome)
