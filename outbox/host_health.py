"""What deliveries teach about each remote host (keyed by authority: host and port): the
signature scheme it takes, its failures in a row, and when it is parked and probed again."""

from __future__ import annotations

import logging
import random
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federation.delivery_policy import host_should_park, next_probe_at
from federation.signatures import Scheme
from storage.models import Delivery, Host
from storage.models.queue import QUEUED
from storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)


async def record_host_health(
    session: AsyncSession,
    ok: dict[str, Scheme],
    failed: set[str],
    now: datetime,
    rng: random.Random,
) -> None:
    """Reset the hosts that answered, count a failure for the others, park or unpark them."""
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
            host.parked_until = next_probe_at(min(probes, 5), now, rng)
            log.warning("host %s parked until %s", name, host.parked_until)
