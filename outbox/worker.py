"""Delivery workers: claim due rows, sign and POST, classify each outcome, record it.

The queue is the database. A worker runs a continuous pipeline: every claimed row is sent by
its own task, and more rows are claimed as soon as some are recorded, so a slow host holds
only its own rows, never a batch. Concurrency is bounded per process (``delivery_workers``) and
per host (``per_host_concurrency``: a host at its bound is left out of the next claims). Leases
are renewed while a POST is in flight and outcomes are written behind the claim's token
(``storage.claims``). A host that has failed for a day is parked and probed now and then with
a single row.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federation.client import FederationClient, PostResult, Signer
from federation.delivery_policy import (
    DeliveryKind,
    DeliveryOutcome,
    classify_delivery,
)
from federation.errors import FetchError
from federation.signatures import Scheme
from outbox.host_health import HealthyHosts, record_host_health
from outbox.signing import SigningPool
from storage.claims import DEFAULT_LEASE, claim_due, claimable, record_outcomes
from storage.database import Database
from storage.models import Activity, Actor, Delivery, Host, utcnow
from storage.models.queue import DELIVERED, GAVE_UP, QUEUED
from storage.pipeline import ClaimLoop, HeldRows, WriteRetries

log = logging.getLogger(__name__)

LEASE = DEFAULT_LEASE
# Outcomes finishing within this delay of each other are written by one transaction.
RECORD_LINGER_SECONDS = 0.01


@dataclass(slots=True)
class Attempt:
    delivery: Delivery
    result: PostResult | None = None
    error: str | None = None


class DeliveryWorker(ClaimLoop):
    def __init__(
        self,
        database: Database,
        client: FederationClient,
        *,
        concurrency: int = 16,
        per_host: int = 4,
        batch_size: int = 64,
        timeout_seconds: float | None = None,
        lease: timedelta = LEASE,
        rng: random.Random | None = None,
        signing_processes: int | None = None,
    ) -> None:
        super().__init__()
        self.database = database
        self.client = client
        self.batch_size = batch_size
        self.per_host = per_host
        # Rows held beyond the POSTs in flight keep the senders busy while a claim runs.
        self.capacity = concurrency + batch_size
        # While rows are held, claim a quarter of a batch at least: not a claim per outcome.
        self.min_claim = max(1, batch_size // 4)
        self.timeout_seconds = timeout_seconds
        self.lease = lease
        self.worker_id = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._sending = asyncio.Semaphore(concurrency)
        self._held: HeldRows[Delivery] = HeldRows(database, Delivery, lease)
        self._host_load: Counter[str] = Counter()
        self._finished: list[Attempt] = []
        self._some_finished = asyncio.Event()
        # Rows sent whose outcome is not recorded yet (queued for, or inside, a recording).
        self._unrecorded = 0
        self._rng = rng or random.Random()
        self._signers: dict[int, Signer] = {}
        self._payloads: dict[int, bytes] = {}
        self._schemes_loaded = False
        self._healthy = HealthyHosts()
        # None: sign on the event loop.
        self.signing_processes = signing_processes
        self._signing: SigningPool | None = None
        # After a claim that found rows, more are likely due: claim without looking first.
        self._found_some = False

    async def _load_schemes(self) -> None:
        if self._schemes_loaded:
            return
        async with self.database.session() as session:
            rows = (
                await session.execute(
                    select(Host.host, Host.signature_scheme).where(
                        Host.signature_scheme.is_not(None)
                    )
                )
            ).all()
        for host, scheme in rows:
            if scheme:
                self.client.scheme_memory.set(host, Scheme(scheme))
        self._schemes_loaded = True

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim one batch, deliver it, record every outcome. Returns how many were attempted.

        One step of the pipeline, for tests and tools that drive the queue by hand.
        """
        moment = now or utcnow()
        attempts = await self._claim(moment, self.batch_size)
        if not attempts:
            return 0
        await asyncio.gather(*(self._send(attempt) for attempt in attempts))
        try:
            await self._record(attempts, now or utcnow())
        finally:
            self._forget(attempts)
        return len(attempts)

    def _forget(self, attempts: list[Attempt]) -> None:
        for attempt in attempts:
            self._host_load[attempt.delivery.host] -= 1
            if self._host_load[attempt.delivery.host] <= 0:
                del self._host_load[attempt.delivery.host]
        self._held.drop(attempt.delivery.id for attempt in attempts)

    async def _claim(self, now: datetime, limit: int) -> list[Attempt]:
        await self._load_schemes()
        full = self._hosts_at_their_bound(set())
        if (
            self.database.is_sqlite
            and not self._found_some
            and not await self._anything_due(now, full)
        ):
            # SQLite has one writer: an idle worker looks first, without taking the lock.
            return []
        async with self.database.transaction() as session:
            probing = set(
                (
                    await session.scalars(
                        select(Host.host).where(
                            Host.parked_until.is_not(None), Host.parked_until <= now
                        )
                    )
                ).all()
            )
            self._healthy.forget(probing)
            # Left out in SQL: their rows, often the oldest due (a parked host's backlog),
            # would fill each claim only to be left out of it.
            full = self._hosts_at_their_bound(probing)
            extra = [Delivery.host.not_in(parked_hosts(now))]
            if full:
                extra.append(Delivery.host.not_in(full))
            claim = await claim_due(
                session,
                Delivery,
                now=now,
                lease=self.lease,
                limit=limit,
                extra=extra,
                worker_id=self.worker_id,
                keep=lambda rows: self._within_host_bounds(rows, probing),
            )
            await self._load_material(session, claim.rows)
        self._found_some = bool(claim.rows)
        for delivery in claim.rows:
            self._host_load[delivery.host] += 1
        self._held.hold(claim.rows)
        return [Attempt(delivery) for delivery in claim.rows]

    async def _anything_due(self, now: datetime, full: list[str]) -> bool:
        """Whether a claim would find a row: one due, for a host neither full nor parked."""
        due = select(Delivery.id).where(
            *claimable(Delivery, now), Delivery.host.not_in(parked_hosts(now))
        )
        if full:
            due = due.where(Delivery.host.not_in(full))
        async with self.database.session() as session:
            return await session.scalar(due.limit(1)) is not None

    def _bound(self, host: str, probing: set[str]) -> int:
        """Rows of ``host`` held at once: ``per_host``, or one for a parked host's probe."""
        return 1 if host in probing else self.per_host

    def _hosts_at_their_bound(self, probing: set[str]) -> list[str]:
        return [
            host for host, load in self._host_load.items() if load >= self._bound(host, probing)
        ]

    def _within_host_bounds(self, rows: list[Delivery], probing: set[str]) -> list[Delivery]:
        """At most ``per_host`` rows of a host held at once; one for a parked host's probe.

        A row this worker already holds is never taken again, even once its lease has run out
        (a renewal held up on a busy machine): its POST is still in flight, and the next
        renewal, under the same token, gives the lease back.
        """
        taken: Counter[str] = Counter()
        kept: list[Delivery] = []
        for delivery in rows:
            if delivery.id in self._held.tokens:
                continue
            host = delivery.host
            if self._host_load[host] + taken[host] < self._bound(host, probing):
                taken[host] += 1
                kept.append(delivery)
        return kept

    async def _load_material(self, session: AsyncSession, deliveries: list[Delivery]) -> None:
        if len(self._payloads) > 4096:
            self._payloads.clear()
        activity_ids = {d.activity_id for d in deliveries} - set(self._payloads)
        if activity_ids:
            for activity_id, payload in await session.execute(
                select(Activity.id, Activity.payload).where(Activity.id.in_(activity_ids))
            ):
                self._payloads[activity_id] = payload.encode()
        # Keys are read again for every claim: a rotated key must sign from the next claim on.
        sender_ids = {d.sender_id for d in deliveries}
        if sender_ids:
            for actor_id, key_id, pem in await session.execute(
                select(Actor.id, Actor.public_key_id, Actor.private_key_pem).where(
                    Actor.id.in_(sender_ids)
                )
            ):
                if pem:
                    self._signers[actor_id] = Signer(key_id, pem)

    async def _send(self, attempt: Attempt) -> None:
        delivery = attempt.delivery
        signer = self._signers.get(delivery.sender_id)
        body = self._payloads.get(delivery.activity_id)
        if signer is None or body is None:
            attempt.error = "sender key or activity missing"
            return
        async with self._sending:
            try:
                attempt.result = await self.client.post_activity(
                    delivery.inbox_uri,
                    body,
                    signer,
                    timeout_seconds=self.timeout_seconds,
                    signing=self._signing,
                )
            except FetchError as error:
                attempt.error = f"{type(error).__name__}: {error}"
            except Exception as error:
                log.exception("delivery %s to %s failed", delivery.id, delivery.inbox_uri)
                attempt.error = f"{type(error).__name__}: {error}"

    async def start_signing(self) -> set[int]:
        """Start the signing processes before the first claim (a POST's timeout is the remote
        server's, not the time a process takes to start); returns their process ids.

        ``run_forever`` starts them; a worker driven by hand (``run_once``) signs on its loop.
        """
        if self._signing is None and self.signing_processes:
            pool = SigningPool(self.signing_processes)
            try:
                processes = await pool.start()
            except Exception:
                log.exception("starting the signing processes failed; signing on the loop")
                await asyncio.to_thread(pool.close)
                return set()
            self._signing = pool
            return processes
        return set()

    async def close_signing(self) -> None:
        """Stop the signing processes (they start again if the worker signs again)."""
        pool, self._signing = self._signing, None
        if pool is not None:
            await asyncio.to_thread(pool.close)

    # --- the continuous pipeline -------------------------------------------------------------

    def held_count(self) -> int:
        """The rows that take room: held and not sent yet, or sent whose outcome waits beyond a
        batch. Senders go on with new rows while a batch of outcomes is being written, instead
        of waiting for the write; the rows a worker holds stay bounded (capacity plus a batch).
        """
        return len(self._held) - min(self._unrecorded, self.batch_size)

    async def claim_more(self, room: int) -> int:
        attempts = await self._claim(utcnow(), room)
        for attempt in attempts:
            self.spawn(self._send_and_queue(attempt), name=f"delivery-{attempt.delivery.id}")
        return len(attempts)

    async def _send_and_queue(self, attempt: Attempt) -> None:
        await self._send(attempt)
        self._finished.append(attempt)
        self._unrecorded += 1
        self._some_finished.set()
        if self._unrecorded <= self.batch_size:
            self.room_freed()

    async def _record_finished(self, stop: asyncio.Event) -> None:
        """Group commit: whatever has finished while the last write ran goes in the next one."""
        retries = WriteRetries()
        while True:
            if not self._finished:
                if stop.is_set():
                    return
                self._some_finished.clear()
                waiting = asyncio.ensure_future(self._some_finished.wait())
                stopped = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait({waiting, stopped}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiting.cancel()
                    stopped.cancel()
                continue
            if len(self._finished) < self.batch_size and not stop.is_set():
                await asyncio.sleep(RECORD_LINGER_SECONDS)
            batch, self._finished = self._finished, []
            try:
                await self._record(batch, utcnow())
            except Exception:
                log.exception("recording %s deliveries failed; retrying shortly", len(batch))
                self._finished[:0] = batch
                if not await retries.again(stop):
                    # Sent, their outcome unwritten: they stay leased, not given back at once.
                    given_up, self._finished = self._finished, []
                    self._held.drop(attempt.delivery.id for attempt in given_up)
                    return
                continue
            self._forget(batch)
            self._unrecorded -= len(batch)
            self.room_freed()

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        await self._load_schemes_safely()
        await self.start_signing()
        loop_stop = asyncio.Event()
        renewer = asyncio.create_task(self._held.keep_renewed(loop_stop), name="delivery-leases")
        recorder = asyncio.create_task(self._record_finished(loop_stop), name="delivery-recorder")
        try:
            await self.run_loop(stop, idle_seconds)
        finally:
            loop_stop.set()
            await asyncio.gather(recorder, return_exceptions=True)
            await asyncio.gather(renewer, return_exceptions=True)
            try:
                await self._held.release_all()
            except Exception:
                log.exception("releasing the deliveries still held failed")
            await self.close_signing()

    async def _load_schemes_safely(self) -> None:
        try:
            await self._load_schemes()
        except Exception:
            log.exception("reading the signature schemes of hosts failed")

    async def _record(self, attempts: list[Attempt], now: datetime) -> None:
        rows: list[dict[str, object]] = []
        host_ok: dict[str, Scheme] = {}
        host_failed: set[str] = set()
        gone_inboxes: list[str] = []
        for attempt in attempts:
            delivery = attempt.delivery
            first = delivery.first_attempt_at or now
            status = attempt.result.status if attempt.result else None
            outcome = classify_delivery(
                status,
                attempt.result.headers if attempt.result else None,
                attempt.error,
                delivery.attempts + 1,
                first,
                now,
                self._rng,
            )
            rows.append(_row_for(delivery, outcome, status, attempt.error, first, now))
            if outcome.kind is DeliveryKind.DELIVERED and attempt.result is not None:
                host_ok[delivery.host] = attempt.result.scheme_used
            elif status is None or status >= 500 or status == 429:
                host_failed.add(delivery.host)
            if outcome.kind is DeliveryKind.GONE:
                gone_inboxes.append(delivery.inbox_uri)
            log.debug("delivery %s to %s: %s", delivery.id, delivery.inbox_uri, outcome.reason)
        host_failed -= set(host_ok)
        host_ok = self._healthy.to_write(host_ok, now)
        async with self.database.transaction() as session:
            await record_outcomes(session, Delivery, rows)
            if gone_inboxes:
                await session.execute(
                    update(Actor)
                    .where(Actor.is_local.is_(False), Actor.inbox_uri.in_(gone_inboxes))
                    .values(is_gone=True)
                )
            await record_host_health(session, host_ok, host_failed, now, self._rng)
        self._healthy.written(host_ok, host_failed, now)


def _row_for(
    delivery: Delivery,
    outcome: DeliveryOutcome,
    status: int | None,
    error: str | None,
    first: datetime,
    now: datetime,
) -> dict[str, object]:
    """The row's new columns (the same keys for every outcome: one statement writes many)."""
    delivered = outcome.kind is DeliveryKind.DELIVERED
    last_error = None if delivered else (error[:1000] if error else outcome.reason)
    if delivered:
        state, next_attempt_at, finished_at = DELIVERED, delivery.next_attempt_at, now
    elif outcome.kind is DeliveryKind.RETRY:
        state, next_attempt_at, finished_at = QUEUED, outcome.retry_at or now, None
    else:
        state, next_attempt_at, finished_at = GAVE_UP, delivery.next_attempt_at, now
    return {
        "id": delivery.id,
        "claim_token": delivery.claim_token,
        "state": state,
        "attempts": delivery.attempts + 1,
        "first_attempt_at": first,
        "last_status": status,
        "last_error": last_error,
        "next_attempt_at": next_attempt_at,
        "finished_at": finished_at,
    }


def parked_hosts(now: datetime) -> Select[str]:
    """The hosts parked at ``now``: none of their rows is claimed until the parking ends."""
    return select(Host.host).where(Host.parked_until > now)
