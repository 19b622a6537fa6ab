"""The table of occurrences: every date of every event, written with the event.

A one-off event has one row; a series one row per date, exception dates left out, up to
``HORIZON`` ahead when its rule does not end (``events.occurrences_until`` then says where the
rows stop). Every write of an event — ours or a remote one, created, changed, postponed,
cancelled or deleted — ends with :func:`refresh_occurrences`; the worker moves the horizon of
open-ended series forward with :func:`extend_occurrences`. Reads that reach past the rows of a
series (an agenda years ahead) expand it in Python from where its rows stop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.expansion import Expansion, exdate_dates, expand_series, expand_until, zone_of
from commons.events.recurrence import Occurrence
from federation.parsing import is_kept_day
from storage.models import Event, EventOccurrence, utcnow

HORIZON = timedelta(days=731)
"""How far ahead the dates of a series without end are written."""
EXTEND_MARGIN = timedelta(days=61)
"""The worker extends a series once its rows stop sooner than ``HORIZON`` minus this."""
EXTEND_BATCH = 200
LONG_DATE = timedelta(days=1)
"""A date lasting more than this ``is_long``: it may still run days after it began."""


def horizon_from(now: datetime) -> datetime:
    return now + HORIZON


def expansion_of(event: Event, before: datetime, *, after: datetime | None = None) -> Expansion:
    """The dates of ``event`` starting before ``before`` (and from ``after``, if given)."""
    return expand_until(
        event.rrule,
        event.start_time,
        event.end_time,
        event.timezone,
        exdate_dates(event.exdates),
        before,
        after=after,
    )


def is_long(found: Occurrence) -> bool:
    return found.end is not None and found.end - found.start > LONG_DATE


def occurrence_rows(event: Event, dates: Iterable[Occurrence]) -> list[dict[str, Any]]:
    """Rows of ``event_occurrences`` for these dates of an event (for bulk inserts too)."""
    return [
        {
            "event_id": event.id,
            "start_time": found.start,
            "end_time": found.end,
            "is_long": is_long(found),
            "actor_id": event.actor_id,
            "is_local": event.is_local,
            "category": event.category,
        }
        for found in dates
    ]


async def _lock(session: AsyncSession, ids: Sequence[int]) -> None:
    """Writers of the same event's rows take turns (PostgreSQL; SQLite has one writer)."""
    await session.execute(
        select(Event.id).where(Event.id.in_(ids)).order_by(Event.id).with_for_update()
    )


async def refresh_occurrences(
    session: AsyncSession, events: Event | Iterable[Event], *, now: datetime | None = None
) -> None:
    """Rewrite the dates of these events from their current fields; a deleted event has none."""
    batch = [events] if isinstance(events, Event) else list(events)
    if not batch:
        return
    await session.flush()
    ids = [event.id for event in batch]
    await _lock(session, ids)
    await session.execute(delete(EventOccurrence).where(EventOccurrence.event_id.in_(ids)))
    before = horizon_from(now or utcnow())
    rows: list[dict[str, Any]] = []
    for event in batch:
        if event.deleted_at is not None:
            event.occurrences_until = None
            continue
        expansion = expansion_of(event, before)
        event.occurrences_until = expansion.until
        rows.extend(occurrence_rows(event, expansion.dates))
    if rows:
        await session.execute(insert(EventOccurrence), rows)
    await session.flush()


async def extend_occurrences(
    session: AsyncSession, now: datetime, *, batch: int = EXTEND_BATCH
) -> int:
    """Write the next dates of up to ``batch`` series whose rows stop too soon; returns how many.

    Only dates from ``occurrences_until`` on are added (the rows before it stay), so a series
    capped at ``MAX_ROWS_PER_EVENT`` dates by one write moves on a little more at every round.
    """
    due = await session.scalars(
        select(Event)
        .where(
            Event.occurrences_until.is_not(None),
            Event.occurrences_until < horizon_from(now) - EXTEND_MARGIN,
            Event.deleted_at.is_(None),
        )
        .order_by(Event.occurrences_until, Event.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    events = list(due)
    rows: list[dict[str, Any]] = []
    for event in events:
        assert event.occurrences_until is not None
        expansion = expansion_of(event, horizon_from(now), after=event.occurrences_until)
        event.occurrences_until = expansion.until
        rows.extend(occurrence_rows(event, expansion.dates))
    if rows:
        await session.execute(insert(EventOccurrence), rows)
    await session.flush()
    return len(events)


# Reading the dates of some events


def beyond_rows(event: Any, after: datetime, before: datetime) -> tuple[Occurrence, ...]:
    """Dates of a series overlapping [after, before) that start where its rows stop.

    ``event`` is an Event or a row with its rule columns and ``occurrences_until``.
    """
    until = event.occurrences_until
    if until is None or until >= before or not event.rrule:
        return ()
    found = expand_series(
        event.rrule,
        event.start_time,
        event.end_time,
        event.timezone,
        exdate_dates(event.exdates),
        after,
        before,
    )
    return tuple(item for item in found if item.start >= until)


async def dates_between(
    session: AsyncSession, events: Sequence[Event], after: datetime, before: datetime
) -> dict[int, list[Occurrence]]:
    """The dates of each event overlapping [after, before), in order (events without: absent)."""
    if not events:
        return {}
    rows = await session.execute(
        select(EventOccurrence.event_id, EventOccurrence.start_time, EventOccurrence.end_time)
        .where(
            EventOccurrence.event_id.in_([event.id for event in events]),
            EventOccurrence.start_time < before,
            func.coalesce(EventOccurrence.end_time, EventOccurrence.start_time) >= after,
        )
        .order_by(EventOccurrence.event_id, EventOccurrence.start_time)
    )
    found: dict[int, list[Occurrence]] = {}
    for event_id, start, end in rows:
        found.setdefault(event_id, []).append(Occurrence(start, end))
    for event in events:
        if more := beyond_rows(event, after, before):
            found.setdefault(event.id, []).extend(more)
    return found


async def next_dates(
    session: AsyncSession, events: Sequence[Event], after: datetime, before: datetime
) -> dict[int, Occurrence]:
    """The first date of each event overlapping [after, before)."""
    return {
        event_id: dates[0]
        for event_id, dates in (await dates_between(session, events, after, before)).items()
    }


async def upcoming_dates(
    session: AsyncSession, event: Event, now: datetime, *, count: int
) -> list[Occurrence]:
    """The next ``count`` dates of one event not over at ``now``."""
    rows = await session.execute(
        select(EventOccurrence.start_time, EventOccurrence.end_time)
        .where(
            EventOccurrence.event_id == event.id,
            func.coalesce(EventOccurrence.end_time, EventOccurrence.start_time) >= now,
        )
        .order_by(EventOccurrence.start_time)
        .limit(count)
    )
    found = [Occurrence(start, end) for start, end in rows]
    until = event.occurrences_until
    if len(found) < count and until is not None:
        after = max(now, until)
        found += beyond_rows(event, after, after + timedelta(days=400))[: count - len(found)]
    return found


async def date_on(session: AsyncSession, event: Event, day: date) -> Occurrence | None:
    """The date of ``event`` on a local day of its own zone, if it has one (none so near the
    ends of the calendar that its midnights cannot be counted)."""
    if not is_kept_day(day):
        return None
    zone = zone_of(event.timezone)
    after = datetime.combine(day, time(0), zone).astimezone(UTC)
    before = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    for found in (await dates_between(session, [event], after, before)).get(event.id, []):
        if after <= found.start < before:
            return found
    return None


async def remove_events_of(session: AsyncSession, actor_id: int) -> int:
    """An organiser who is gone takes their events out of the agenda (tombstones, no dates)."""
    events = list(
        await session.scalars(
            select(Event).where(Event.actor_id == actor_id, Event.deleted_at.is_(None))
        )
    )
    now = utcnow()
    for event in events:
        event.deleted_at = now
    await refresh_occurrences(session, events, now=now)
    return len(events)
