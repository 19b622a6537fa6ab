"""Delivery workers: claim due rows, sign and POST, classify each outcome, record it.

The queue is the database. Concurrency is bounded per process and per host; a host that has
failed for a day is parked and probed now and then with a single row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federation.client import FederationClient, PostResult, Signer
from federation.delivery_policy import (
    DeliveryKind,
    DeliveryOutcome,
    classify_delivery,
    host_should_park,
    next_probe_at,
)
from federation.errors import FetchError
from federation.signatures import Scheme
from storage.claims import claim_due
from storage.database import Database
from storage.models import Activity, Actor, Delivery, Host, utcnow
from storage.models.queue import DELIVERED, GAVE_UP, QUEUED
from storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)


@dataclass(slots=True)
class Attempt:
    delivery: Delivery
    result: PostResult | None = None
    error: str | None = None
    released: bool = False


class DeliveryWorker:
    def __init__(
        self,
        database: Database,
        client: FederationClient,
        *,
        concurrency: int = 16,
        per_host: int = 4,
        batch_size: int = 64,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.client = client
        self.batch_size = batch_size
        self.worker_id = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._global = asyncio.Semaphore(concurrency)
        self._per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host)
        )
        self._rng = rng or random.Random()
        self._signers: dict[int, Signer] = {}
        self._payloads: dict[int, bytes] = {}
        self._schemes_loaded = False

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
        """Claim one batch, deliver it, record every outcome. Returns how many were attempted."""
        await self._load_schemes()
        moment = now or utcnow()
        async with self.database.transaction() as session:
            parked = select(Host.host).where(Host.parked_until > moment)
            ids = await claim_due(
                session,
                Delivery,
                now=moment,
                lease=LEASE,
                limit=self.batch_size,
                extra=[Delivery.host.not_in(parked)],
                worker_id=self.worker_id,
            )
            if not ids:
                return 0
            deliveries = list(
                (await session.scalars(select(Delivery).where(Delivery.id.in_(ids)))).all()
            )
            probing = set(
                (
                    await session.scalars(
                        select(Host.host).where(
                            Host.host.in_({d.host for d in deliveries}),
                            Host.parked_until.is_not(None),
                        )
                    )
                ).all()
            )
            await self._load_material(session, deliveries)
        attempts = [Attempt(delivery) for delivery in deliveries]
        probed: set[str] = set()
        for attempt in attempts:
            host = attempt.delivery.host
            if host in probing:
                if host in probed:
                    attempt.released = True
                probed.add(host)
        await asyncio.gather(*(self._attempt(a) for a in attempts if not a.released))
        await self._record(attempts, now or utcnow())
        return sum(1 for a in attempts if not a.released)

    async def _load_material(self, session: AsyncSession, deliveries: list[Delivery]) -> None:
        if len(self._payloads) > 4096:
            self._payloads.clear()
        activity_ids = {d.activity_id for d in deliveries} - set(self._payloads)
        if activity_ids:
            for activity_id, payload in await session.execute(
                select(Activity.id, Activity.payload).where(Activity.id.in_(activity_ids))
            ):
                self._payloads[activity_id] = payload.encode()
        # Keys are read again for every batch: a rotated key must sign from the next batch on.
        sender_ids = {d.sender_id for d in deliveries}
        if sender_ids:
            for actor_id, key_id, pem in await session.execute(
                select(Actor.id, Actor.public_key_id, Actor.private_key_pem).where(
                    Actor.id.in_(sender_ids)
                )
            ):
                if pem:
                    self._signers[actor_id] = Signer(key_id, pem)

    async def _attempt(self, attempt: Attempt) -> None:
        delivery = attempt.delivery
        signer = self._signers.get(delivery.sender_id)
        body = self._payloads.get(delivery.activity_id)
        if signer is None or body is None:
            attempt.error = "sender key or activity missing"
            return
        async with self._global, self._per_host[delivery.host]:
            try:
                attempt.result = await self.client.post_activity(delivery.inbox_uri, body, signer)
            except FetchError as error:
                attempt.error = f"{type(error).__name__}: {error}"
            except Exception as error:
                log.exception("delivery %s to %s failed", delivery.id, delivery.inbox_uri)
                attempt.error = f"{type(error).__name__}: {error}"

    async def _record(self, attempts: list[Attempt], now: datetime) -> None:
        rows: list[dict[str, object]] = []
        host_ok: dict[str, Scheme] = {}
        host_failed: set[str] = set()
        gone_inboxes: list[str] = []
        for attempt in attempts:
            delivery = attempt.delivery
            if attempt.released:
                rows.append({"id": delivery.id, "locked_until": None, "locked_by": None})
                continue
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
        async with self.database.transaction() as session:
            await session.execute(update(Delivery), rows)
            if gone_inboxes:
                await session.execute(
                    update(Actor)
                    .where(Actor.is_local.is_(False), Actor.inbox_uri.in_(gone_inboxes))
                    .values(is_gone=True)
                )
            await self._record_hosts(session, host_ok, host_failed - set(host_ok), now)

    async def _record_hosts(
        self, session: AsyncSession, ok: dict[str, Scheme], failed: set[str], now: datetime
    ) -> None:
        names = sorted(set(ok) | failed)
        if not names:
            return
        # Concurrent workers may meet a new host at once: insert without clashing, then lock
        # the rows in one order so that two recording transactions never deadlock.
        await insert_ignoring_duplicates(
            session, Host, [{"host": name, "consecutive_failures": 0} for name in names], ["host"]
        )
        hosts = (
            await session.scalars(
                select(Host).where(Host.host.in_(names)).order_by(Host.host).with_for_update()
            )
        ).all()
        for host in hosts:
            name = host.host
            if name in ok:
                if host.parked_until is not None:
                    # The probe went through: the host's other rows go now, not at their
                    # backoff (rows claimed by a worker are left to it: no lock is awaited).
                    await session.execute(
                        update(Delivery)
                        .where(
                            Delivery.host == name,
                            Delivery.state == QUEUED,
                            Delivery.next_attempt_at > now,
                            or_(Delivery.locked_until.is_(None), Delivery.locked_until < now),
                        )
                        .values(next_attempt_at=now)
                    )
                host.signature_scheme = ok[name].value
                host.consecutive_failures = 0
                host.first_failure_at = None
                host.parked_until = None
                host.last_success_at = now
                continue
            host.consecutive_failures = (host.consecutive_failures or 0) + 1
            host.first_failure_at = host.first_failure_at or now
            if host.parked_until is not None or host_should_park(
                host.consecutive_failures, host.first_failure_at, now
            ):
                probes = max(host.consecutive_failures - 1, 0)
                host.parked_until = next_probe_at(min(probes, 5), now, self._rng)
                log.warning("host %s parked until %s", name, host.parked_until)

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:
                log.exception("delivery batch failed; retrying shortly")
                done = 0
            if not done:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)


def _row_for(
    delivery: Delivery,
    outcome: DeliveryOutcome,
    status: int | None,
    error: str | None,
    first: datetime,
    now: datetime,
) -> dict[str, object]:
    row: dict[str, object] = {
        "id": delivery.id,
        "attempts": delivery.attempts + 1,
        "first_attempt_at": first,
        "last_status": status,
        "last_error": None if outcome.kind is DeliveryKind.DELIVERED else outcome.reason,
        "locked_until": None,
        "locked_by": None,
    }
    if outcome.kind is DeliveryKind.DELIVERED:
        row.update(state=DELIVERED, finished_at=now)
    elif outcome.kind is DeliveryKind.RETRY:
        row.update(state=QUEUED, next_attempt_at=outcome.retry_at or now)
    else:
        row.update(state=GAVE_UP, finished_at=now)
    if error and outcome.kind is not DeliveryKind.DELIVERED:
        row["last_error"] = error[:1000]
    return row
