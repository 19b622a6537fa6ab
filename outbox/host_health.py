"""What deliveries teach about each remote host (keyed by authority: host and port): the
signature scheme it takes, its failures in a row, and when it is parked and probed again."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federation.delivery_policy import host_should_park, next_probe_at
from federation.signatures import Scheme
from storage.claims import lease_free
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
    """Reset the hosts that answered, count a failure for the others, park or unpark them.

    A post to a thousand servers meets a thousand hosts: their rows are read and written as
    plain rows, three statements for the lot (and one per parked host that answered again).
    """
    names = sorted(set(ok) | failed)
    if not names:
        return
    # Concurrent workers may meet a new host at once: insert without clashing, then lock
    # the rows in one order so that two recording transactions never deadlock.
    await insert_ignoring_duplicates(
        session, Host, [{"host": name, "consecutive_failures": 0} for name in names], ["host"]
    )
    table = cast(Table, Host.__table__)
    found = await session.execute(
        select(table.c.host, *(table.c[column] for column in HEALTH_COLUMNS))
        .where(table.c.host.in_(names))
        .order_by(table.c.host)
        .with_for_update()
    )
    changes: list[dict[str, Any]] = []
    for row in found.mappings():
        name = row["host"]
        if name in ok:
            if row["parked_until"] is not None:
                await _release_rows_of(session, name, now)
            changes.append(_answered(name, ok[name], now))
        else:
            changes.append(_failed(dict(row), now, rng))
    if changes:
        await session.execute(
            update(table)
            .where(table.c.host == bindparam("b_host"))
            .values({column: bindparam(f"b_{column}") for column in HEALTH_COLUMNS}),
            [{f"b_{key}": value for key, value in change.items()} for change in changes],
        )


HEALTH_COLUMNS = (
    "signature_scheme",
    "consecutive_failures",
    "first_failure_at",
    "parked_until",
    "last_success_at",
)


def _answered(name: str, scheme: Scheme, now: datetime) -> dict[str, Any]:
    return {
        "host": name,
        "signature_scheme": scheme.value,
        "consecutive_failures": 0,
        "first_failure_at": None,
        "parked_until": None,
        "last_success_at": now,
    }


def _failed(row: dict[str, Any], now: datetime, rng: random.Random) -> dict[str, Any]:
    """One more failure (the row's scheme and last success are written back as they were)."""
    failures = (row["consecutive_failures"] or 0) + 1
    first_failure_at = row["first_failure_at"] or now
    parked_until = row["parked_until"]
    if parked_until is not None or host_should_park(failures, first_failure_at, now):
        parked_until = next_probe_at(min(max(failures - 1, 0), 5), now, rng)
        log.warning("host %s parked until %s", row["host"], parked_until)
    return row | {
        "consecutive_failures": failures,
        "first_failure_at": first_failure_at,
        "parked_until": parked_until,
    }


async def _release_rows_of(session: AsyncSession, name: str, now: datetime) -> None:
    """The probe went through: the host's other rows go now, not at their backoff (rows
    claimed by a worker are left to it: no lock is awaited)."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.host == name,
            Delivery.state == QUEUED,
            Delivery.next_attempt_at > now,
            lease_free(Delivery, now),
        )
        .values(next_attempt_at=now)
    )
