"""What deliveries teach about each remote host (keyed by authority: host and port): the
signature scheme it takes, its failures in a row, and when it is parked and probed again."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federation.delivery_policy import host_should_park, next_probe_at
from federation.signatures import Scheme
from storage.models import Delivery, Host
from storage.models.queue import QUEUED
from storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)

# A healthy host's row is written again at least this often (its last success stays fresh,
# and a failure another worker counted meanwhile is reset).
HEALTHY_REWRITE = timedelta(seconds=60)


class HealthyHosts:
    """The hosts a worker last wrote healthy (no failure, not parked, with their scheme).

    A post to a thousand servers is a thousand successes, most of them to hosts already known
    healthy: writing their row again each time costs a transaction's worth of statements for
    nothing. A host is written again when its scheme changes, when it fails, and at least every
    ``HEALTHY_REWRITE``.
    """

    def __init__(self) -> None:
        self._written: dict[str, tuple[Scheme, datetime]] = {}

    def to_write(self, ok: dict[str, Scheme], now: datetime) -> dict[str, Scheme]:
        """The successes worth writing: hosts not known healthy with this scheme lately."""
        fresh = now - HEALTHY_REWRITE
        return {
            host: scheme
            for host, scheme in ok.items()
            if (known := self._written.get(host)) is None or known[0] != scheme or known[1] < fresh
        }

    def forget(self, hosts: set[str]) -> None:
        """Hosts whose next success must be written (a parked host probed)."""
        for host in hosts:
            self._written.pop(host, None)

    def written(self, ok: dict[str, Scheme], failed: set[str], now: datetime) -> None:
        """Remember what a committed transaction wrote."""
        if len(self._written) > 100_000:
            self._written.clear()
        for host, scheme in ok.items():
            self._written[host] = (scheme, now)
        for host in failed:
            self._written.pop(host, None)


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
