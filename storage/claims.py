"""Claiming due queue rows under a lease, renewing it, and recording outcomes behind a fence.

A claim locks due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the single writing
connection makes it atomic by itself) and stamps them with ``locked_until`` and a fresh
``claim_token``. The holder renews the lease while its work is in flight; a worker that dies
stops renewing, and its rows are claimed again once the short lease has run out, so a crash
loses nothing and waits about a minute, not more.

The token is a fencing token: an outcome is written ``WHERE claim_token = <the claim's token>``.
A worker whose lease lapsed (paused, cut off from the database) and whose rows were taken by
another finds its token gone and writes nothing, so it can never put a delivered row back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Backfill, Delivery, InboxItem
from storage.models.queue import QUEUED

QueueRow = TypeVar("QueueRow", Delivery, InboxItem)
# Rows held under a lease and a claim token: the queues', and a neighbour's reading.
Leased = TypeVar("Leased", Delivery, InboxItem, Backfill)

DEFAULT_LEASE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Claim(Generic[QueueRow]):
    token: str
    rows: list[QueueRow]


async def claim_due(
    session: AsyncSession,
    model: type[QueueRow],
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    extra: Sequence[ColumnElement[bool]] = (),
    worker_id: str | None = None,
    keep: Callable[[list[QueueRow]], list[QueueRow]] | None = None,
) -> Claim[QueueRow]:
    """Lock up to ``limit`` due rows of ``model`` for ``lease``, oldest first.

    ``keep`` chooses among the rows found (a per-host or per-origin cap); the others are left
    unclaimed for another worker or a later claim. The rows returned carry the claim's token.
    """
    token = uuid.uuid4().hex
    if limit <= 0:
        return Claim(token, [])
    # The ids first, then their rows: ordering thousands of due rows with their payloads made
    # PostgreSQL sort megabytes on disk for each claim.
    due = (
        select(model.id)
        .where(*claimable(model, now), *extra)
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if is_postgresql(session):
        # A queue's statistics are stale by nature (thousands of rows arrive and leave between
        # two ANALYZEs); believing it nearly empty, PostgreSQL gathered every queued row in a
        # bitmap and sorted them at each claim. Walking the due index in claim order stops at
        # the claim's size instead. The setting ends with this transaction.
        await session.execute(text("SET LOCAL enable_bitmapscan = off"))
    ids = list((await session.scalars(due)).all())
    if not ids:
        return Claim(token, [])
    chosen = select(model).where(model.id.in_(ids)).order_by(model.next_attempt_at, model.id)
    found = list((await session.scalars(chosen)).all())
    rows = keep(found) if keep is not None else found
    if rows:
        values: dict[str, Any] = {
            "locked_until": now + lease,
            "locked_by": worker_id,
            "claim_token": token,
        }
        await session.execute(
            update(model)
            .where(model.id.in_([row.id for row in rows]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        for row in rows:
            # As written by the statement above: set as committed, not as changes the session
            # would flush again, one UPDATE per row, when the claim commits.
            for name, value in values.items():
                set_committed_value(row, name, value)
    return Claim(token, rows)


def claimable(model: type[QueueRow], now: datetime) -> list[ColumnElement[bool]]:
    """The row may be claimed now: queued, due, and held by no claim."""
    return [model.state == QUEUED, model.next_attempt_at <= now, lease_free(model, now)]


def lease_free(model: type[QueueRow], now: datetime) -> ColumnElement[bool]:
    """The row is held by no claim: never leased, recorded since, or its lease ran out."""
    return or_(model.locked_until.is_(None), model.locked_until < now)


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _held_by(model: type[Leased], held: Mapping[int, str]) -> ColumnElement[bool]:
    """The rows ``held`` (id → claim token) that their claim still holds."""
    by_token: dict[str, list[int]] = {}
    for row_id, token in held.items():
        by_token.setdefault(token, []).append(row_id)
    return or_(
        *(and_(model.claim_token == token, model.id.in_(ids)) for token, ids in by_token.items())
    )


async def renew_leases(
    session: AsyncSession,
    model: type[Leased],
    held: Mapping[int, str],
    until: datetime,
) -> set[int]:
    """Extend the lease of the rows ``held`` (id → claim token); returns the ids still held.

    An id missing from the answer was taken by another claim after its lease ran out.
    """
    if not held:
        return set()
    # Locked in the order of their ids, as every writer of held rows takes them, so that a
    # renewal and a batch's outcomes (PostgreSQL) never each wait for a row the other holds.
    in_order = select(model.id).where(_held_by(model, held)).order_by(model.id).with_for_update()
    result = await session.execute(
        update(model)
        .where(model.id.in_(in_order))
        .values(locked_until=until)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars().all())


async def still_held(
    session: AsyncSession, model: type[QueueRow], held: Mapping[int, str]
) -> set[int]:
    """Of the rows ``held`` (id → claim token), those this claim still holds; in the caller's
    transaction, which keeps them until it ends.

    A work whose effects are written with its outcome checks this first, in the same
    transaction: a row given back (a worker stopping) or taken by another worker once its
    lease ran out must not have its work applied twice. On PostgreSQL the rows are read
    ``FOR UPDATE``: no other claim or release can take them before this transaction ends (on
    SQLite, the writer holds the whole database).
    """
    if not held:
        return set()
    found = await session.scalars(
        select(model.id).where(_held_by(model, held)).order_by(model.id).with_for_update()
    )
    return set(found.all())


async def record_outcomes(
    session: AsyncSession, model: type[QueueRow], outcomes: Iterable[Mapping[str, Any]]
) -> None:
    """Write each outcome (``id``, ``claim_token`` and the new column values) to its row, only
    while that claim still holds it; the lease and the token are cleared with it.

    Every mapping must name the same columns (one statement, executed for many rows). The
    rows are written in the order of their ids, the order a lease renewal locks them in.
    """
    rows = sorted((dict(outcome) for outcome in outcomes), key=lambda row: int(row["id"]))
    if not rows:
        return
    table = cast(Table, model.__table__)
    columns = sorted(set(rows[0]) - {"id", "claim_token"})
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.claim_token == bindparam("b_token"))
        .values(
            {name: bindparam(f"b_{name}") for name in columns}
            | {"locked_until": None, "locked_by": None, "claim_token": None}
        )
    )
    parameters = [
        {"b_id": row["id"], "b_token": row["claim_token"]}
        | {f"b_{name}": row[name] for name in columns}
        for row in rows
    ]
    await session.execute(statement, parameters)


async def release(session: AsyncSession, model: type[QueueRow], held: Mapping[int, str]) -> None:
    """Give rows back unattempted (a worker stopping): due again at once for anyone."""
    if not held:
        return
    await record_outcomes(
        session, model, [{"id": row_id, "claim_token": token} for row_id, token in held.items()]
    )
