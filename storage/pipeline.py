"""What both queue workers share: the rows a worker holds, their lease kept alive, and a
continuous claim loop that takes more work as soon as some finishes.

A worker never waits for a whole batch: each claimed row is worked on by its own task, and
the loop claims again whenever a row is recorded and room is free. The rows held are renewed
every third of the lease, so a long delivery or a slow handler keeps its claim, and a worker
that dies loses its rows to another one lease later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterable
from datetime import timedelta
from typing import Any, Generic

from storage.claims import QueueRow, record_outcomes, release, renew_leases
from storage.database import Database
from storage.models import utcnow

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 5.0
# How long a loop with little room waits for more before claiming a small batch.
CLAIM_LINGER_SECONDS = 0.02
# After a failed write of outcomes: the pause before the next try, and how many tries a
# stopping worker makes before it gives up.
WRITE_RETRY_SECONDS = 1.0
STOP_WRITE_TRIES = 3
STOP_WRITE_RETRY_SECONDS = 0.5


class HeldRows(Generic[QueueRow]):
    """The rows one worker holds (id → claim token), and the renewal of their lease."""

    def __init__(self, database: Database, model: type[QueueRow], lease: timedelta) -> None:
        self.database = database
        self.model: type[QueueRow] = model
        self.lease = lease
        self.tokens: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.tokens)

    def hold(self, rows: Iterable[QueueRow]) -> None:
        for row in rows:
            assert row.claim_token is not None
            self.tokens[row.id] = row.claim_token

    def drop(self, row_ids: Iterable[int]) -> None:
        for row_id in row_ids:
            self.tokens.pop(row_id, None)

    async def renew(self) -> set[int]:
        """Extend every held lease; returns the ids lost to another claim. Their work goes on
        and ends as usual (its outcome refused by their new claim's token)."""
        held = dict(self.tokens)
        if not held:
            return set()
        async with self.database.transaction() as session:
            kept = await renew_leases(session, self.model, held, utcnow() + self.lease)
        # Rows recorded meanwhile left with their token: only those still held were lost.
        lost = {row_id for row_id in set(held) - kept if row_id in self.tokens}
        if lost:
            log.warning("%s rows %s were claimed by another worker", self.model.__name__, lost)
        return lost

    async def keep_renewed(self, stop: asyncio.Event) -> None:
        period = self.lease.total_seconds() / 3
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=period)
            if stop.is_set():
                return
            try:
                await self.renew()
            except Exception:
                log.exception("renewing the leases of %s failed", self.model.__name__)

    async def release_all(self) -> None:
        """Give back what is still held (a stopping worker): due again at once for anyone."""
        held = dict(self.tokens)
        if held:
            async with self.database.transaction() as session:
                await release(session, self.model, held)
        self.tokens.clear()


class WriteRetries:
    """Whether a worker's writer of outcomes tries again after a failed write, and when.

    While the worker runs, always, a moment later. Once it is stopping, a few times only: then
    the outcomes in hand are given up, and their rows must stay leased (not given back with the
    others), so that work already done is redone only once the lease has run out, not at once.
    """

    def __init__(self) -> None:
        self.while_stopping = 0

    async def again(self, stop: asyncio.Event) -> bool:
        if not stop.is_set():
            await asyncio.sleep(WRITE_RETRY_SECONDS)
            return True
        self.while_stopping += 1
        if self.while_stopping >= STOP_WRITE_TRIES:
            return False
        await asyncio.sleep(STOP_WRITE_RETRY_SECONDS)
        return True


class ClaimLoop:
    """Claims whenever there is room, runs each piece of work as a task, stops cleanly.

    Subclasses implement :meth:`claim_more`, which claims up to ``room`` rows and starts their
    work with :meth:`spawn`, and call :meth:`room_freed` when a row is finished.
    """

    capacity: int
    batch_size: int
    # How long a stopping loop lets the work in hand end before cancelling it.
    stop_grace_seconds: float = STOP_GRACE_SECONDS
    # While some rows are held, wait for this much room before claiming again.
    min_claim: int = 1
    # After a claim that found fewer than ``small_claim`` rows, let the rows in hand finish,
    # then wait this long before the next one: a worker that keeps up then claims and commits
    # what arrived meanwhile together, instead of a transaction or two for each row (on
    # SQLite, each one the writer's turn).
    linger_after_small_claim: float = 0.0
    small_claim: int = 1

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()

    def held_count(self) -> int:
        raise NotImplementedError

    async def claim_more(self, room: int) -> int:
        raise NotImplementedError

    async def finish(self) -> None:
        """Called once the loop has stopped and its tasks are done or cancelled."""

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def room_freed(self) -> None:
        self._room.set()

    async def _finish_in_hand(self, stop: asyncio.Event, most_seconds: float) -> None:
        """Wait until every row held is finished (or ``stop``, or ``most_seconds``)."""
        deadline = asyncio.get_running_loop().time() + most_seconds
        while self.held_count() > 0 and not stop.is_set():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            self._room.clear()
            await self._room_or_stop(stop, left)

    async def _room_or_stop(self, stop: asyncio.Event, most_seconds: float) -> None:
        """Wait until a row is finished, or ``stop``, or ``most_seconds``."""
        room_freed = asyncio.ensure_future(self._room.wait())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                {room_freed, stopped}, timeout=most_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            room_freed.cancel()
            stopped.cancel()

    async def run_loop(self, stop: asyncio.Event, idle_seconds: float) -> None:
        lingered = False
        try:
            while not stop.is_set():
                self._room.clear()
                room = self.capacity - self.held_count()
                wanted = min(room, self.batch_size)
                if 0 < wanted < self.min_claim and self.held_count() > 0 and not lingered:
                    # Little room: let a few more rows finish, then claim them together.
                    lingered = True
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=CLAIM_LINGER_SECONDS)
                    continue
                lingered = False
                claimed = 0
                if wanted > 0:
                    try:
                        claimed = await self.claim_more(wanted)
                    except Exception:
                        log.exception("claiming work failed; retrying shortly")
                if wanted > 0 and claimed == wanted:
                    continue
                if claimed < self.small_claim and self.linger_after_small_claim > 0:
                    await self._finish_in_hand(stop, idle_seconds)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self.linger_after_small_claim)
                    if stop.is_set():
                        break
                await self._room_or_stop(stop, idle_seconds)
        finally:
            if self._tasks:
                _done, pending = await asyncio.wait(
                    set(self._tasks), timeout=self.stop_grace_seconds
                )
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
            await self.finish()


class OutcomeRecorder(Generic[QueueRow]):
    """Group commit of outcomes: whatever finished while the last write ran goes in the next.

    Outcomes are the mappings ``storage.claims.record_outcomes`` takes (one set of columns).
    ``on_recorded`` is told the ids written, once their transaction has committed, and
    ``on_given_up`` the ids of the outcomes a stopping writer could not write.
    """

    def __init__(
        self,
        database: Database,
        model: type[QueueRow],
        on_recorded: Callable[[list[int]], None],
        on_given_up: Callable[[list[int]], None],
    ) -> None:
        self.database = database
        self.model: type[QueueRow] = model
        self.on_recorded = on_recorded
        self.on_given_up = on_given_up
        self._pending: list[dict[str, Any]] = []
        self._added = asyncio.Event()

    def add(self, outcome: dict[str, Any]) -> None:
        self._pending.append(outcome)
        self._added.set()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            async with self.database.transaction() as session:
                await record_outcomes(session, self.model, batch)
        except BaseException:
            self._pending[:0] = batch
            raise
        self.on_recorded([outcome["id"] for outcome in batch])

    async def run(self, stop: asyncio.Event) -> None:
        """Write outcomes as they come until ``stop`` is set and nothing is left."""
        retries = WriteRetries()
        while True:
            if not self._pending:
                if stop.is_set():
                    return
                self._added.clear()
                added = asyncio.ensure_future(self._added.wait())
                stopped = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait({added, stopped}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    added.cancel()
                    stopped.cancel()
                continue
            try:
                await self.flush()
            except Exception:
                log.exception("recording %s outcomes failed", self.model.__name__)
                if not await retries.again(stop):
                    given_up, self._pending = self._pending, []
                    self.on_given_up([outcome["id"] for outcome in given_up])
                    return


async def repeat_until_stopped(
    stop: asyncio.Event,
    job: Callable[[], Coroutine[Any, Any, object]],
    every_seconds: float,
    failure: str,
) -> None:
    """Run ``job`` now and then every ``every_seconds`` until ``stop`` is set; a failure is
    logged with ``failure`` and the job is tried again at its next turn."""
    while not stop.is_set():
        try:
            await job()
        except Exception:
            log.exception(failure)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
