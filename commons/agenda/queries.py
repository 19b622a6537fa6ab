"""The agenda: the dates of events overlapping a window of local days, read from the table of
occurrences.

A city month holds thousands of dates, so a view asks for at most ``per_day`` items a day: the
first dates of each local day and the day's count come from SQL (see
:mod:`commons.agenda.statements`), and only those are read in full with their event and
organiser. One-off events and series are alike: each date is a row. A window that reaches past where the rows of a
series stop (``events.occurrences_until``, about two years ahead) expands that series in Python
from there on.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from commons.agenda.statements import (
    ITEM_COLUMNS,
    beyond_count,
    categories_statement,
    dates_in,
    first_of_each_day,
)
from commons.agenda.window import (
    CARRY,
    LONGEST_EVENT,
    AgendaDay,
    AgendaItem,
    AgendaQuery,
    Window,
    local_midnight,
    web_url,
)
from commons.events.dates import beyond_rows, next_dates
from commons.events.expansion import exdate_dates, expand_series, zone_of
from commons.events.recurrence import Occurrence
from storage.models import Actor, Event, EventOccurrence

UPCOMING_HORIZON = timedelta(days=366)
Occ = EventOccurrence

__all__ = [
    "LONGEST_EVENT",
    "UPCOMING_HORIZON",
    "AgendaDay",
    "AgendaItem",
    "AgendaQuery",
    "Window",
    "agenda_days",
    "categories_in",
    "exdate_dates",
    "expand_series",
    "feed_events",
    "first_dates",
    "flatten",
    "local_midnight",
    "past_days",
    "upcoming_days",
    "web_url",
    "zone_of",
]


def _item(row: Any, start: datetime, end: datetime | None) -> AgendaItem:
    return AgendaItem(
        event_id=row.id,
        uri=row.uri,
        url=row.url,
        title=row.title,
        start=start,
        end=end,
        timezone=row.timezone,
        status=row.status,
        category=row.category,
        place_name=row.place_name,
        locality=row.locality,
        is_local=row.is_local,
        is_series=row.rrule is not None,
        organiser_name=row.name or row.username,
        organiser_handle=f"{row.username}@{row.domain}",
        rule=row.rrule,
    )


async def _beyond_rows(
    session: AsyncSession, query: AgendaQuery, start: datetime, end: datetime
) -> list[tuple[int, Occurrence]]:
    """Dates of the series whose rows stop before ``end``, from where they stop."""
    rows = await session.execute(
        select(
            Event.id,
            Event.rrule,
            Event.start_time,
            Event.end_time,
            Event.timezone,
            Event.exdates,
            Event.occurrences_until,
        ).where(
            *query.conditions(),
            Event.occurrences_until < end,
            Event.rrule.is_not(None),
        )
    )
    return [(row.id, found) for row in rows for found in beyond_rows(row, start, end)]


async def _details(session: AsyncSession, ids: Iterable[int]) -> dict[int, Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(*ITEM_COLUMNS).join(Actor, Actor.id == Event.actor_id).where(Event.id.in_(wanted))
    )
    return {row.id: row for row in rows}


async def agenda_days(
    session: AsyncSession,
    query: AgendaQuery,
    window: Window,
    *,
    per_day: int | None = None,
) -> list[AgendaDay]:
    """Every local day of the window with its first ``per_day`` items (all if None) and total."""
    start, end = window.start, window.end
    boundaries = window.boundaries()
    edges = [moment.timestamp() for moment in boundaries]
    days = [AgendaDay(window.first + timedelta(days=n)) for n in range(window.days)]
    # (start, event id, the event's row or None when read later, end) for each day
    chosen: list[list[tuple[datetime, int, Any, datetime | None]]] = [[] for _ in days]
    beyond: int | None = None

    if per_day is None:
        dated = dates_in(query, start, end, Occ.event_id, Occ.start_time, Occ.end_time).subquery()
        statement = (
            select(
                *ITEM_COLUMNS,
                dated.c.start_time.label("at"),
                dated.c.end_time.label("until"),
                beyond_count(query, end),
            )
            .select_from(dated)
            .join(Event, Event.id == dated.c.event_id)
            .join(Actor, Actor.id == Event.actor_id)
            .order_by(dated.c.start_time, dated.c.event_id)
        )
        for row in await session.execute(statement):
            index = bisect.bisect_right(edges, row.at.timestamp())
            chosen[index].append((row.at, row.id, row, row.until))
            days[index].total += 1
            beyond = row.beyond
    else:
        bounds = [start, *boundaries, end]
        params: dict[str, Any] = {f"day_{n}": moment for n, moment in enumerate(bounds)}
        params["earliest"] = start - LONGEST_EVENT
        params["carry"] = start - CARRY
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            params |= {"day_buckets": list(range(1, window.days)), "day_lows": bounds[1:-1],
                       "day_highs": bounds[2:]}  # fmt: skip
        statement = first_of_each_day(query.placeholders(), window.days, per_day, dialect)
        counted: set[int] = set()
        for daily in await session.execute(statement, {**params, **query.values()}):
            chosen[daily.bucket].append((daily.at, daily.id, daily, daily.until))
            if daily.part not in counted:  # the first day is read in two parts
                counted.add(daily.part)
                days[daily.bucket].total += daily.total
            beyond = daily.beyond

    if beyond is None or beyond > 0:  # unknown when the window has no written date
        for event_id, found in await _beyond_rows(session, query, start, end):
            index = bisect.bisect_right(edges, found.start.timestamp())
            chosen[index].append((found.start, event_id, None, found.end))
            days[index].total += 1

    for entries in chosen:
        entries.sort(key=lambda entry: (entry[0], entry[1]))
        if per_day is not None:
            del entries[per_day:]
    missing = [entry[1] for entries in chosen for entry in entries if entry[2] is None]
    details = await _details(session, missing)
    for day, entries in zip(days, chosen, strict=True):
        day.items = [
            _item(row if row is not None else details[event_id], at, until)
            for at, event_id, row, until in entries
        ]
    return days


async def upcoming_days(
    session: AsyncSession, query: AgendaQuery, now: datetime, zone: ZoneInfo, *, limit: int
) -> tuple[list[AgendaDay], date | None]:
    """Whole local days from ``now`` holding at least ``limit`` dates (the day of the
    ``limit``-th one included, so a page of the list is never cut inside a day), and the next
    day; a year's worth when fewer remain."""
    today = now.astimezone(zone).date()
    nth = await _nth(session, query, now, limit, later=True)
    if nth is None:
        last = (now + UPCOMING_HORIZON).astimezone(zone).date()
        following = None
    else:
        last = max(nth.astimezone(zone).date(), today)
        following = last + timedelta(days=1)
    window = Window(today, (last - today).days + 1, zone)
    days = await agenda_days(session, query, window)
    for day in days:
        day.items = [item for item in day.items if (item.end or item.start) >= now]
        day.total = len(day.items)
    return [day for day in days if day.items], following


async def _nth(
    session: AsyncSession, query: AgendaQuery, now: datetime, limit: int, *, later: bool
) -> datetime | None:
    """The start of the ``limit``-th date from ``now`` on (``later``) or before it."""
    statement = select(Occ.start_time).where(
        Occ.start_time >= now if later else Occ.start_time < now, *query.filters()
    )
    if query.located:
        statement = statement.join(Event, Event.id == Occ.event_id).where(*query.conditions())
    order = Occ.start_time if later else Occ.start_time.desc()
    found: datetime | None = await session.scalar(
        statement.order_by(order).offset(limit - 1).limit(1)
    )
    return found


async def past_days(
    session: AsyncSession, query: AgendaQuery, now: datetime, zone: ZoneInfo, *, limit: int
) -> tuple[list[AgendaDay], date | None]:
    """Whole local days before ``now`` holding at least ``limit`` dates, newest first."""
    today = now.astimezone(zone).date()
    nth = await _nth(session, query, now, limit, later=False)
    if nth is None:
        first = (now - UPCOMING_HORIZON).astimezone(zone).date()
        earlier = None
    else:
        first = min(nth.astimezone(zone).date(), today)
        earlier = first
    window = Window(first, (today - first).days + 1, zone)
    days = await agenda_days(session, query, window)
    for day in days:
        day.items = [item for item in day.items if item.start < now]
        day.items.reverse()
        day.total = len(day.items)
    return [day for day in reversed(days) if day.items], earlier


async def categories_in(
    session: AsyncSession, query: AgendaQuery, start: datetime, end: datetime
) -> list[str]:
    """The categories of the dates of a window, for the filter."""
    unfiltered = AgendaQuery(
        query.local_only,
        query.actor_id,
        with_shared=query.with_shared,
        left_out=query.left_out,
        quartier=query.quartier,
    )
    params = {"start": start, "end": end, "earliest": start - LONGEST_EVENT,
              "carry": start - CARRY}  # fmt: skip
    rows = await session.scalars(
        categories_statement(unfiltered.placeholders()), {**params, **unfiltered.values()}
    )
    return sorted(category for category in rows if category)


_WITHOUT_DOCUMENTS = (
    defer(Event.document, raiseload=True),
    defer(Actor.document, raiseload=True),
    defer(Actor.public_key_pem, raiseload=True),
    defer(Actor.private_key_pem, raiseload=True),
)
"""A feed of a thousand events reads what it shows, not the JSON documents received."""


async def feed_events(
    session: AsyncSession,
    query: AgendaQuery,
    *,
    after: datetime,
    before: datetime,
    limit: int,
) -> list[tuple[Event, Actor]]:
    """Whole events (series once, with their rule) that have a date in [after, before)."""
    having_dates = dates_in(query, after, before, Occ.event_id)
    found = [
        (event, actor)
        for event, actor in await session.execute(
            select(Event, Actor)
            .join(Actor, Actor.id == Event.actor_id)
            .options(*_WITHOUT_DOCUMENTS)
            .where(Event.id.in_(having_dates), Event.start_time < before, *query.conditions())
            .order_by(Event.start_time, Event.id)
            .limit(limit)
        )
    ]
    seen = {event.id for event, _ in found}
    running = await session.execute(
        select(Event, Actor)
        .join(Actor, Actor.id == Event.actor_id)
        .options(*_WITHOUT_DOCUMENTS)
        .where(*query.conditions(), Event.rrule.is_not(None), Event.occurrences_until < before)
    )
    found += [
        (event, actor)
        for event, actor in running
        if event.id not in seen and beyond_rows(event, after, before)
    ]
    found.sort(key=lambda pair: (pair[0].start_time, pair[0].id))
    return found[:limit]


async def first_dates(
    session: AsyncSession, events: Sequence[Event], after: datetime, before: datetime
) -> dict[int, Occurrence]:
    """The first date of each event overlapping [after, before) (itself for a one-off)."""
    return await next_dates(session, events, after, before)


def flatten(days: Sequence[AgendaDay]) -> list[AgendaItem]:
    return [item for day in days for item in day.items]
