"""The inbox worker: claims received activities and applies them, concurrently and fairly.

Several items are handled at once (``inbox_workers``: what they need read, from the database
and from other servers; an item then waits for its batch's commit without holding a place),
and a sender's own activities are applied one after the other, in the order they arrived (a
Follow before its Undo, a Create before its Update). A sender's consecutive ``Create``s are
claimed together as one run (up to ``SENDER_RUN``) and applied in order in one transaction:
what a ``Create`` needs read beforehand never depends on what an earlier one changed, so a
busy sender's notes need not wait for one commit each. Any other activity is claimed alone,
and the sender's next items wait until it is committed.

That order holds across worker processes (``quartiers worker`` beside ``serve --no-workers``):
see :mod:`inbox.claims`.

Each origin (the sender's server) holds a share of the worker (:mod:`inbox.origins`): at first
``per_origin_concurrency`` items, more while its items are read quickly, and never more than
``per_origin_concurrency`` read at once. A slow or hostile origin thus delays only its own
items, the others are claimed past it; an origin that sends thousands of votes fills whole
batches. Every remote fetch a handler makes is bounded by ``fetch_timeout_seconds`` (the
federation client).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select

from federation.errors import InvalidActivity
from federation.parsing import parse_activity
from inbox.batches import MAX_BATCH, BatchedApply, ClaimLost
from inbox.claims import Due, claim_runs, past
from inbox.context import InboxContext
from inbox.dispatch import prepare
from inbox.fetches import Fetched
from inbox.origins import OriginShares
from instance.runtime import Instance
from storage.claims import claimable
from storage.models import Actor, InboxItem, utcnow
from storage.models.queue import DONE, FAILED, QUEUED
from storage.pipeline import ClaimLoop, HeldRows, OutcomeRecorder

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# While items are in flight, claim again once this many places are free, not for each one.
MIN_CLAIM = 16
# After a claim of fewer than ``SMALL_CLAIM`` items, let more arrive before the next claim:
# claims, and the batches they make, of a hundred items and more cost far less per item.
CLAIM_PAUSE_SECONDS = 0.05
SMALL_CLAIM = MAX_BATCH // 4
# At most this many consecutive items of one sender in a claim, all of these types.
SENDER_RUN = 16
RUN_TYPES = frozenset({"Create"})


class InboxWorker(ClaimLoop):
    def __init__(
        self,
        instance: Instance,
        batch_size: int = MAX_BATCH,
        *,
        concurrency: int | None = None,
        per_origin: int | None = None,
        lease: timedelta | None = None,
    ) -> None:
        super().__init__()
        federation = instance.settings.federation
        self.instance = instance
        self.batch_size = batch_size
        self.concurrency = concurrency or federation.inbox_workers
        self.per_origin = per_origin or federation.per_origin_concurrency
        self.lease = lease or timedelta(seconds=federation.lease_seconds)
        # Room for the items being read, and for two batches: one committing, one filling.
        self.capacity = max(self.batch_size, self.concurrency + 2 * MAX_BATCH)
        self.min_claim = max(1, min(self.batch_size // 4, MIN_CLAIM))
        self.linger_after_small_claim = CLAIM_PAUSE_SECONDS
        self.small_claim = SMALL_CLAIM
        self.worker_id = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._handling = asyncio.Semaphore(self.concurrency)
        self._held: HeldRows[InboxItem] = HeldRows(instance.database, InboxItem, self.lease)
        self._origin_load: Counter[str] = Counter()
        self._origins = OriginShares(self.per_origin, MAX_BATCH)
        # The senders with items held here, and how many: a sender's next items are not
        # claimed until the last of these is recorded.
        self._held_per_sender: Counter[str] = Counter()
        self._items: dict[int, InboxItem] = {}
        self._stored_senders: dict[str, Actor] = {}
        self._found_last = False
        self._applier = BatchedApply(
            instance.database, 1 if instance.database.is_sqlite else 4, self._recorded
        )
        self._recorder: OutcomeRecorder[InboxItem] = OutcomeRecorder(
            instance.database, InboxItem, self._recorded, self._held.drop
        )

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim what is due, handle it, record each outcome; returns how many were handled.

        One step, for tests and tools that drive the queue by hand.
        """
        items = await self._claim(now or utcnow(), self.batch_size)
        await asyncio.gather(*(self._process(run) for run in sender_runs(items)))
        await self._recorder.flush()
        return len(items)

    async def _claim(self, now: datetime, limit: int) -> list[InboxItem]:
        """Claim due items past the busy senders and full origins, a run per sender."""
        full = sorted(
            origin
            for origin, load in self._origin_load.items()
            if load >= self._origins.share(origin)
        )
        extra: list[ColumnElement[bool]] = []
        if full:
            extra.append(InboxItem.origin.not_in(full))
        database = self.instance.database
        if (
            database.is_sqlite
            and not self._found_last
            and not await self._anything_due(now, [*extra, *past(self._held_per_sender.keys())])
        ):
            # SQLite has one writer: a worker whose last claim found nothing looks first,
            # without taking the lock; one that is busy claims straight away.
            return []
        async with database.transaction() as session:
            claim = await claim_runs(
                session,
                now=now,
                lease=self.lease,
                limit=limit,
                choose=self._within_origin_bounds,
                busy_senders=self._held_per_sender.keys(),
                extra=extra,
                worker_id=self.worker_id,
            )
        self._found_last = bool(claim.rows)
        senders = list(dict.fromkeys(item.actor_uri for item in claim.rows))
        for item in claim.rows:
            self._origin_load[item.origin] += 1
            self._held_per_sender[item.actor_uri] += 1
            self._items[item.id] = item
        self._held.hold(claim.rows)
        if senders:
            await self._read_senders(senders)
        return claim.rows

    async def _read_senders(self, uris: list[str]) -> None:
        """One read for the senders of a whole claim, not one per item. On failure, each item
        reads its sender itself; the rows claimed must not be stranded."""
        try:
            self._stored_senders.update(await self.instance.remote_actors.stored_actors(uris))
        except Exception:
            log.exception("reading the senders of %s claimed inbox items failed", len(uris))

    async def _anything_due(self, now: datetime, extra: list[ColumnElement[bool]]) -> bool:
        due = select(InboxItem.id).where(*claimable(InboxItem, now), *extra)
        async with self.instance.database.session() as session:
            return await session.scalar(due.limit(1)) is not None

    def _within_origin_bounds(self, items: list[Due]) -> list[Due]:
        """Each origin within its share, and each sender's items a run that starts with its
        oldest due item: consecutive ``Create``s (up to ``SENDER_RUN``) or one other item.
        A sender's later items come with a later claim (or to another worker), once its run
        is committed."""
        taken: Counter[str] = Counter()
        in_run: Counter[str] = Counter()
        closed: set[str] = set()
        kept: list[Due] = []
        for item in items:
            sender, origin = item.actor_uri, item.origin
            if sender in closed:
                continue
            joins = item.activity_type in RUN_TYPES and in_run[sender] < SENDER_RUN
            if in_run[sender] and not joins:
                closed.add(sender)  # its run ends here: what follows waits for it
                continue
            if self._origin_load[origin] + taken[origin] >= self._origins.share(origin):
                closed.add(sender)  # a run never skips one of its sender's items
                continue
            taken[origin] += 1
            in_run[sender] += 1
            kept.append(item)
            if not joins:
                closed.add(sender)
        return kept

    def _recorded(self, item_ids: list[int]) -> None:
        """Once items' outcomes are committed: their places are free, and so is each sender
        none of whose items is still held (its next items may be claimed as the loop wakes)."""
        self._held.drop(item_ids)
        for item_id in item_ids:
            item = self._items.pop(item_id, None)
            if item is None:
                continue
            self._held_per_sender[item.actor_uri] -= 1
            if self._held_per_sender[item.actor_uri] <= 0:
                del self._held_per_sender[item.actor_uri]
                self._stored_senders.pop(item.actor_uri, None)
            self._origin_load[item.origin] -= 1
            if self._origin_load[item.origin] <= 0:
                del self._origin_load[item.origin]
                self._origins.idle(item.origin)
        self.room_freed()

    async def _process(self, run: list[InboxItem]) -> None:
        """One sender's run: read what each item needs, in order, then apply the ready ones
        together, in one batch, in their order. Each outcome is recorded with what it changed,
        or else by the recorder; until the last is, the sender's next items are not claimed.
        An item that fails is retried later, like any other."""
        ready: list[tuple[InboxItem, InboxContext, Fetched]] = []
        for item in run:
            try:
                prepared = await self._read(item)
            except Exception as failure:
                self._failed(item, failure)
                continue
            if prepared is None:
                self._recorder.add(self._outcome(item, None))
            else:
                ready.append((item, *prepared))
        if not ready:
            return
        errors = await self._applier.apply_run(
            [(ctx, fetched, self._outcome(item, None)) for item, ctx, fetched in ready]
        )
        for (item, _ctx, _fetched), error in zip(ready, errors, strict=True):
            if isinstance(error, ClaimLost):
                # Given back or taken over before its batch: whoever holds it now handles it.
                log.warning("inbox item %s: its claim was lost before it was applied", item.id)
                self._recorded([item.id])
            elif error is not None:
                self._failed(item, error)

    def _failed(self, item: InboxItem, failure: BaseException) -> None:
        log.error("inbox item %s (%s) failed", item.id, item.activity_uri, exc_info=failure)
        self._recorder.add(self._outcome(item, f"{type(failure).__name__}: {failure}"[:1000]))

    def _outcome(self, item: InboxItem, error: str | None) -> dict[str, object]:
        """The row's new columns: done, or due again later, or failed after ``MAX_ATTEMPTS``."""
        attempts = item.attempts + 1
        now = utcnow()
        outcome: dict[str, object] = {
            "id": item.id,
            "claim_token": item.claim_token,
            "attempts": attempts,
            "last_error": error,
            "state": QUEUED,
            "processed_at": None,
            "next_attempt_at": item.next_attempt_at,
        }
        if error is None:
            outcome.update(state=DONE, processed_at=now)
        elif attempts >= MAX_ATTEMPTS:
            outcome.update(state=FAILED, processed_at=now)
        else:
            outcome.update(next_attempt_at=now + timedelta(seconds=30 * 4**attempts))
        return outcome

    async def _read(self, item: InboxItem) -> tuple[InboxContext, Fetched] | None:
        """Read what the item needs, holding one of the ``inbox_workers`` places (the item
        then waits for its batch without holding one); None when there is nothing to apply."""
        async with self._origins.reading(item.origin), self._handling:
            started = time.monotonic()
            try:
                return await self._prepare(item)
            finally:
                self._origins.read(item.origin, time.monotonic() - started)

    async def _prepare(self, item: InboxItem) -> tuple[InboxContext, Fetched] | None:
        try:
            activity = parse_activity(json.loads(item.payload))
        except (ValueError, InvalidActivity):
            log.info("inbox item %s no longer parses; dropped", item.id)
            return None
        sender = self._stored_senders.get(item.actor_uri)
        if sender is None or sender.uri != activity.actor_uri:
            sender = await self.instance.remote_actors.actor(activity.actor_uri)
        if sender is None:
            raise LookupError(f"sender {activity.actor_uri} cannot be resolved")
        ctx = InboxContext(self.instance, activity, sender, item.recipient_id)
        fetched = await prepare(ctx)
        return (ctx, fetched) if fetched is not None else None

    # --- the continuous pipeline -------------------------------------------------------------

    def held_count(self) -> int:
        return len(self._held)

    async def finish(self) -> None:
        # The runs of a stopping worker may still sit in a batch: their items are given back
        # once it is written (or cancelled), never while it may still apply them.
        await self._applier.finish(self.stop_grace_seconds)

    async def claim_more(self, room: int) -> int:
        items = await self._claim(utcnow(), room)
        for run in sender_runs(items):
            self.spawn(self._process(run), name=f"inbox-{run[0].id}")
        return len(items)

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = 0.5) -> None:
        loop_stop = asyncio.Event()
        renewer = asyncio.create_task(self._held.keep_renewed(loop_stop), name="inbox-leases")
        recorder = asyncio.create_task(self._recorder.run(loop_stop), name="inbox-recorder")
        try:
            await self.run_loop(stop, idle_seconds)
        finally:
            loop_stop.set()
            await asyncio.gather(recorder, return_exceptions=True)
            await asyncio.gather(renewer, return_exceptions=True)
            try:
                await self._held.release_all()
            except Exception:
                log.exception("releasing the inbox items still held failed")


def sender_runs(items: list[InboxItem]) -> list[list[InboxItem]]:
    """The claimed items grouped by sender, each group in claim order."""
    runs: dict[str, list[InboxItem]] = {}
    for item in items:
        runs.setdefault(item.actor_uri, []).append(item)
    return list(runs.values())
