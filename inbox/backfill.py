"""Reading a federated neighbour's recent past: its quartier's outbox, page after page.

When two quartiers federate (:func:`actors.quartier_federation.when_link_changes`), each reads
the public activities the other's collectives published before (the neighbour's instance actor's
outbox, newest first), back to ``backfill_days`` days and at most ``backfill_max_items`` of them,
and hands every authentic one (:mod:`inbox.backfill_pages`) to the inbox queue: the inbox
worker then applies it exactly as if the neighbour had delivered it, and an activity already
received is not stored twice (the queue is keyed by activity id).

One page per step and per neighbour, each page's activities and where the reading stands
written in one transaction, so a restart resumes at the next page. Fetches go through the
federation client, signed by our instance actor: time-boxed, size-capped, never to a private
address unless the configuration allows it. A neighbour that answers an error is classified
(as deliveries are): 429, 5xx, a timeout or a lost connection are tried again later, up to
``MAX_ATTEMPTS``; any other answer ends the reading as failed, with its reason.

| outcome                                   | action                                     |
|-------------------------------------------|--------------------------------------------|
| a page read, a next page, room left       | next page at once                          |
| no next page, or the age or count bound   | done                                       |
| federation paused meanwhile               | waits (read again in ``WAIT_WHILE_PAUSED``)|
| federation ended meanwhile                | failed (``ended``)                         |
| the neighbour's domain blocked here       | failed (``blocked``)                       |
| 429, 5xx, timeout, connection failed      | again after 1, 4, 16 min; failed at the 4th|
| other 4xx, too large, not JSON, no pages  | failed, with the reason                    |
| an error of ours (a bug, the database)    | logged; again later, failed at the 4th     |
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update

from actors.quartier_federation import Link, instance_actor_of, link_with
from federation.errors import (
    BadResponse,
    FetchError,
    FetchTimeout,
    InvalidActivity,
    PrivateAddressError,
    ResponseTooLarge,
)
from federation.vocab import host_of, origin_of
from inbox.backfill_pages import PageRead, first_page_of, read_page
from inbox.store import inbox_row, insert_new_items
from instance.runtime import Instance
from storage.claims import renew_leases
from storage.models import Actor, Backfill, utcnow
from storage.models.queue import DONE, FAILED, QUEUED

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
LEASE = timedelta(minutes=2)
WAIT_WHILE_PAUSED = timedelta(minutes=15)
PER_STEP = 8
IDLE_SECONDS = 5.0
RETRIED_STATUSES = frozenset({408, 429})


class BackfillFailure(Exception):
    """The neighbour's answer cannot be read: ``failure`` says why (a word), ``retry`` whether
    asking again later may help."""

    def __init__(self, failure: str, detail: str, *, retry: bool) -> None:
        super().__init__(detail)
        self.failure = failure
        self.detail = detail
        self.retry = retry


@dataclass(frozen=True, slots=True)
class Claimed:
    backfill_id: int
    token: str
    neighbour: Actor
    next_page_uri: str | None
    items_done: int
    attempts: int
    started_at: datetime


def classify(error: FetchError | InvalidActivity) -> BackfillFailure:
    match error:
        case BadResponse(status=status):
            retry = status >= 500 or status in RETRIED_STATUSES
            return BackfillFailure("status", f"HTTP {status}", retry=retry)
        case PrivateAddressError():
            return BackfillFailure("unreachable", str(error), retry=False)
        case ResponseTooLarge():
            return BackfillFailure("too_large", str(error), retry=False)
        case InvalidActivity():
            return BackfillFailure("invalid", error.reason, retry=False)
        case FetchTimeout():
            return BackfillFailure("timeout", str(error), retry=True)
    return BackfillFailure("unreachable", str(error), retry=True)


class NeighbourBackfill:
    """Reads the due neighbours' outboxes, one page each per :meth:`run_once`."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.worker_token = uuid.uuid4().hex[:8]
        # Seconds, to tell how long a round has lasted (tests may move it on).
        self.clock: Callable[[], float] = time.monotonic

    async def run_once(self, now: datetime | None = None) -> int:
        """One page of each due neighbour; returns how many pages were read (or failed)."""
        if self.instance.federation is None:
            return 0
        now = now or utcnow()
        began = self.clock()
        waiting = await self._claim(now)
        stepped = 0
        while waiting:
            claimed = waiting.pop(0)
            try:
                stepped += await self._step(claimed, now)
            except Exception as error:
                # Not the neighbour's doing: recorded on the reading, tried again later.
                log.exception("reading the past of %s failed", claimed.neighbour.domain)
                failure = BackfillFailure("error", f"{type(error).__name__}: {error}", retry=True)
                await self._failed(claimed, failure, now)
                stepped += 1
            if waiting:
                # A step may take two fetches: the readings still to come keep a lease that
                # runs from now, and one taken over meanwhile is left to its new reader.
                moment = now + timedelta(seconds=self.clock() - began)
                waiting = await self._renewed(waiting, moment)
        return stepped

    async def _renewed(self, waiting: list[Claimed], moment: datetime) -> list[Claimed]:
        held = {claimed.backfill_id: claimed.token for claimed in waiting}
        async with self.instance.database.transaction(changes_pages=False) as session:
            kept = await renew_leases(session, Backfill, held, moment + LEASE)
        for claimed in waiting:
            if claimed.backfill_id not in kept:
                log.info(
                    "%s: its reading was taken over by another worker", claimed.neighbour.domain
                )
        return [claimed for claimed in waiting if claimed.backfill_id in kept]

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = IDLE_SECONDS) -> None:
        while not stop.is_set():
            try:
                stepped = await self.run_once()
            except Exception:
                log.exception("reading the neighbours' past failed")
                stepped = 0
            if stepped:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=idle_seconds)

    async def _claim(self, now: datetime) -> list[Claimed]:
        """Take the due readings under a lease: a reading is read by one worker at a time.

        Idle most of the time: a read says whether anything is due before a transaction is
        opened, and the lease itself changes no page (the pages kept for visitors stay kept)."""
        claimed: list[Claimed] = []
        is_due = (
            Backfill.state == QUEUED,
            Backfill.next_attempt_at <= now,
            or_(Backfill.locked_until.is_(None), Backfill.locked_until < now),
        )
        async with self.instance.database.session() as session:
            if await session.scalar(select(Backfill.id).where(*is_due).limit(1)) is None:
                return claimed
        async with self.instance.database.transaction(changes_pages=False) as session:
            due = await session.scalars(
                select(Backfill)
                .where(*is_due)
                .order_by(Backfill.next_attempt_at, Backfill.id)
                .limit(PER_STEP)
            )
            for row in list(due):
                token = f"{self.worker_token}{uuid.uuid4().hex[:16]}"
                unchanged = (
                    Backfill.claim_token.is_(None)
                    if row.claim_token is None
                    else Backfill.claim_token == row.claim_token
                )
                taken = await session.execute(
                    update(Backfill)
                    .where(Backfill.id == row.id, unchanged)
                    .values(locked_until=now + LEASE, claim_token=token)
                    .execution_options(synchronize_session=False)
                )
                neighbour = await session.get(Actor, row.neighbour_id)
                if cast("CursorResult[Any]", taken).rowcount != 1 or neighbour is None:
                    continue  # taken by another worker meanwhile
                claimed.append(
                    Claimed(
                        row.id,
                        token,
                        neighbour,
                        row.next_page_uri,
                        row.items_done,
                        row.attempts,
                        row.started_at,
                    )
                )
        return claimed

    async def _step(self, claimed: Claimed, now: datetime) -> bool:
        link = await self._link(claimed.neighbour)
        if link in (Link.PAUSED, Link.PAUSED_THERE):
            await self._record(claimed, next_attempt_at=now + WAIT_WHILE_PAUSED)
            return False
        if link != Link.FEDERATED:
            ended = BackfillFailure("ended", "federation ended", retry=False)
            await self._failed(claimed, ended, now)
            return True
        host = host_of(claimed.neighbour.uri) or ""
        if await self.instance.blocks.is_blocked(host):
            blocked = BackfillFailure("blocked", f"{host} is blocked", retry=False)
            await self._failed(claimed, blocked, now)
            return True
        settings = self.instance.settings.federation
        since = claimed.started_at - timedelta(days=settings.backfill_days)
        room = max(0, settings.backfill_max_items - claimed.items_done)
        origin = origin_of(claimed.neighbour.uri) or ""
        try:
            page, page_uri = await self._page(claimed, origin)
            read = read_page(page, origin, since=since, room=room)
        except BackfillFailure as failure:
            await self._failed(claimed, failure, now)
            return True
        await self._store(claimed, read, page_uri, now)
        return True

    async def _link(self, neighbour: Actor) -> Link | None:
        async with self.instance.database.session() as session:
            here = await instance_actor_of(session)
            return await link_with(session, here, neighbour)

    async def _page(self, claimed: Claimed, origin: str) -> tuple[dict[str, object], str]:
        """The page to read now, and its address: the outbox's first page at the start."""
        neighbour = claimed.neighbour
        uri = claimed.next_page_uri or neighbour.outbox_uri or f"{neighbour.uri}/outbox"
        document = await self._fetch(uri, origin)
        if claimed.next_page_uri is not None:
            return document, uri
        first = first_page_of(document, origin)
        if first is None:
            raise BackfillFailure("invalid", f"{uri} is no collection", retry=False)
        if isinstance(first, dict):
            return first, uri
        return await self._fetch(first, origin), first

    async def _fetch(self, uri: str, origin: str) -> dict[str, object]:
        client = self.instance.federation
        assert client is not None
        if origin_of(uri) != origin:
            raise BackfillFailure("invalid", f"{uri} is not on {origin}", retry=False)
        try:
            fetched = await client.fetch_document(uri, await self.instance.remote_actors.signer())
        except (FetchError, InvalidActivity) as error:
            raise classify(error) from None
        if origin_of(fetched.url) != origin:
            raise BackfillFailure("invalid", f"{uri} led to another server", retry=False)
        return fetched.data

    async def _store(self, claimed: Claimed, read: PageRead, page_uri: str, now: datetime) -> None:
        """The page's activities, oldest first, and where the reading stands, in one
        transaction (fenced by the claim: a reading taken over meanwhile writes nothing)."""
        rows = [
            inbox_row(activity, payload, None, now) for activity, payload in reversed(read.taken)
        ]
        finished = read.bound_reached or read.next_uri is None
        async with self.instance.database.transaction() as session:
            # The reading first, under its claim: on PostgreSQL the row stays locked until the
            # activities are in, so no other worker can take the reading over in between.
            moved = await session.execute(
                update(Backfill)
                .where(Backfill.id == claimed.backfill_id, Backfill.claim_token == claimed.token)
                .values(
                    state=DONE if finished else QUEUED,
                    next_page_uri=None if finished else read.next_uri,
                    items_done=Backfill.items_done + len(rows),
                    items_skipped=Backfill.items_skipped + read.skipped,
                    pages_read=Backfill.pages_read + 1,
                    attempts=0,
                    next_attempt_at=now,
                    locked_until=None,
                    claim_token=None,
                    failure=None,
                    last_error=None,
                    finished_at=now if finished else None,
                )
                .execution_options(synchronize_session=False)
            )
            if cast("CursorResult[Any]", moved).rowcount != 1:
                return
            inserted = await insert_new_items(session, rows)
        log.info(
            "%s: page %s gave %s activities (%s new, %s skipped)%s",
            claimed.neighbour.domain,
            page_uri,
            len(rows),
            len(inserted),
            read.skipped,
            "; done" if finished else "",
        )

    async def _failed(self, claimed: Claimed, failure: BackfillFailure, now: datetime) -> None:
        attempts = claimed.attempts + 1
        gives_up = not failure.retry or attempts >= MAX_ATTEMPTS
        log.info(
            "%s: reading its outbox failed (%s: %s)%s",
            claimed.neighbour.domain,
            failure.failure,
            failure.detail,
            "" if gives_up else "; tried again later",
        )
        await self._record(
            claimed,
            state=FAILED if gives_up else QUEUED,
            attempts=attempts,
            failure=failure.failure,
            last_error=failure.detail[:1000],
            next_attempt_at=now + timedelta(minutes=4 ** (attempts - 1)),
            finished_at=now if gives_up else None,
        )

    async def _record(self, claimed: Claimed, **values: object) -> None:
        async with self.instance.database.transaction() as session:
            await session.execute(
                update(Backfill)
                .where(Backfill.id == claimed.backfill_id, Backfill.claim_token == claimed.token)
                .values(locked_until=None, claim_token=None, **values)
                .execution_options(synchronize_session=False)
            )
