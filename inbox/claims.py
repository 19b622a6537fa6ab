"""Claiming received activities: a run of each sender's items, oldest first, whichever worker
process claims them.

A sender's items are applied in the order they arrived (a Follow before its Undo), across
worker processes too (``serve --no-workers`` beside ``quartiers worker``). So a claim passes over
every sender one of whose items is under a live lease, here or in another process.

A claim first reads a few columns of the due items, without their payloads and without locking
them, and lets the worker choose. Then it takes the claims' turn, so that two claims never both
lease items of a sender they each read as free: on PostgreSQL a
transaction-level advisory lock (a claim waits for the one holding it to commit); SQLite's
``BEGIN IMMEDIATE`` already runs writers one at a time, across processes too. The statement
that leases the chosen items, run after the turn is taken, checks again that each is queued and
free and that its sender has nothing leased, now counting the claims committed meanwhile. The
turn is held for that statement and the commit, not for the reading.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.claims import Claim, claimable, is_postgresql, lease_free
from storage.models import InboxItem

# The turn every inbox claim takes on PostgreSQL, whichever process makes it.
CLAIMS_TURN = 0x51_49_4E_42  # "QINB"


class Due(NamedTuple):
    """What choosing a due item needs, without its payload."""

    id: int
    actor_uri: str
    origin: str
    activity_type: str


async def claim_runs(
    session: AsyncSession,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    choose: Callable[[list[Due]], list[Due]],
    busy_senders: AbstractSet[str] = frozenset(),
    extra: Sequence[ColumnElement[bool]] = (),
    worker_id: str | None = None,
) -> Claim[InboxItem]:
    """Lease the due items ``choose`` picks among the first ``limit``, past ``busy_senders``
    and every sender with an item under a live lease."""
    token = uuid.uuid4().hex
    if limit <= 0:
        return Claim(token, [])
    postgresql = is_postgresql(session)
    if postgresql:
        await read_through_indexes(session)
    due = (
        select(InboxItem.id, InboxItem.actor_uri, InboxItem.origin, InboxItem.activity_type)
        .where(
            *claimable(InboxItem, now),
            *extra,
            *past(busy_senders),
            no_item_of_its_sender_leased(now),
        )
        .order_by(InboxItem.next_attempt_at, InboxItem.id)
        .limit(limit)
    )
    chosen = choose([Due(*row) for row in await session.execute(due)])
    if not chosen:
        return Claim(token, [])
    if postgresql:
        await session.execute(select(func.pg_advisory_xact_lock(CLAIMS_TURN)))
    # Read after the turn is taken: the leases of the claims committed meanwhile count.
    leased = await session.scalars(
        update(InboxItem)
        .where(
            InboxItem.id.in_([item.id for item in chosen]),
            # Still queued: not handled for good since the reading (``state`` says the same,
            # but through its index the planner, misled by stale statistics, walked every
            # queued item instead of finding the chosen ones by their key).
            InboxItem.processed_at.is_(None),
            # Still due: handled meanwhile and put back for a later retry, it waits its turn.
            InboxItem.next_attempt_at <= now,
            lease_free(InboxItem, now),
            no_item_of_its_sender_leased(now),
        )
        .values(locked_until=now + lease, locked_by=worker_id, claim_token=token)
        .returning(InboxItem)
        .execution_options(synchronize_session=False)
    )
    rows = sorted(leased, key=lambda item: (item.next_attempt_at, item.id))
    return Claim(token, rows)


async def read_through_indexes(session: AsyncSession) -> None:
    """Until this transaction ends, read through indexes.

    A queue's statistics are stale by nature (thousands of rows arrive and leave between two
    ANALYZEs): believing the table nearly empty, or its leases many, PostgreSQL scanned every
    row to find the few leased, and gathered every due row in a bitmap to sort them. The leases
    index and the due index, walked in order, stop where the claim does.
    """
    await session.execute(
        select(
            func.set_config("enable_seqscan", "off", True),
            func.set_config("enable_bitmapscan", "off", True),
        )
    )


def no_item_of_its_sender_leased(now: datetime) -> ColumnElement[bool]:
    """The item's sender has no item under a live lease, in this process or another: its next
    items wait until the one in hand is recorded (or its holder's lease runs out). The leased
    are few, found through their index, and read once per statement."""
    leased = aliased(InboxItem)
    return InboxItem.actor_uri.not_in(
        select(leased.actor_uri).where(leased.locked_until >= now).distinct()
    )


def past(senders: AbstractSet[str]) -> list[ColumnElement[bool]]:
    """The condition that leaves these senders' items for later (none for no sender)."""
    return [InboxItem.actor_uri.not_in(sorted(senders))] if senders else []
