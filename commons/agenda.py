"""The agenda: events overlapping a window of local days, series expanded into occurrences.

A city month holds thousands of events, so a view asks for at most ``per_day`` items a day: the
one-off events are ranked per local day in SQL (``row_number() OVER (PARTITION BY day)``), and
only the first ones are read in full; series (``rrule IS NOT NULL``, which may start long before
the window) are expanded in Python, within the window only, and memoised per rule and window.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.recurrence import Occurrence, RecurrenceError, normalise_rule, occurrences
from storage.models import Actor, Event

LONGEST_EVENT = timedelta(days=31)
"""One-off events that started this long before a window are not looked for (index range)."""
UPCOMING_HORIZON = timedelta(days=366)
EXPANSION_CACHE_SIZE = 65_536


@dataclass(frozen=True, slots=True)
class AgendaQuery:
    """Which events: only ours (``local_only``), one organiser's, one category."""

    local_only: bool = False
    actor_id: int | None = None
    category: str | None = None
    located: bool = False

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [Event.deleted_at.is_(None)]
        if self.local_only:
            found.append(Event.is_local.is_(True))
        if self.actor_id is not None:
            found.append(Event.actor_id == self.actor_id)
        if self.category:
            found.append(Event.category == self.category)
        if self.located:
            found.extend((Event.latitude.is_not(None), Event.longitude.is_not(None)))
        return found


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One occurrence to show: a one-off event, or one date of a series."""

    event_id: int
    uri: str
    url: str | None
    title: str
    start: datetime
    end: datetime | None
    timezone: str
    status: str
    category: str | None
    place_name: str | None
    locality: str | None
    is_local: bool
    is_series: bool
    organiser_name: str
    organiser_handle: str

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def occurrence_date(self) -> date:
        return self.start.astimezone(zone_of(self.timezone)).date()

    def link(self, base_url: str) -> str:
        """Our page for local events (per occurrence for a series), the origin's otherwise."""
        prefix = f"{base_url}/events/"
        if self.is_local and self.uri.startswith(prefix):
            path = self.uri[len(base_url) :]
            if self.is_series:
                return f"{path}/occurrences/{self.occurrence_date.isoformat()}"
            return path
        return web_url(self.url, self.uri)


def web_url(*candidates: str | None) -> str:
    """The first http(s) address (a remote ``url`` may be anything, ``javascript:`` included)."""
    for candidate in candidates:
        if candidate and candidate.lower().startswith(("https://", "http://")):
            return candidate
    return "#"


@dataclass(slots=True)
class AgendaDay:
    day: date
    items: list[AgendaItem] = field(default_factory=list)
    total: int = 0

    @property
    def hidden(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True, slots=True)
class Window:
    """Local days [first, last] in ``zone``, with their UTC bounds."""

    first: date
    days: int
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.first + timedelta(days=self.days), self.zone)

    def boundaries(self) -> list[datetime]:
        """The UTC start of every day after the first (what separates the day buckets)."""
        return [
            local_midnight(self.first + timedelta(days=n), self.zone) for n in range(1, self.days)
        ]


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@lru_cache(maxsize=64)
def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("Europe/Zurich")


def exdate_dates(value: Any) -> tuple[date, ...]:
    """Exception dates as stored (``{"dates": ["2026-04-04", …]}`` or a bare list), leniently."""
    raw = value.get("dates", ()) if isinstance(value, dict) else value
    if not isinstance(raw, list | tuple):
        return ()
    found: list[date] = []
    for entry in raw:
        try:
            found.append(date.fromisoformat(str(entry)[:10]))
        except ValueError:
            continue
    return tuple(found)


# Series expansion


def _until(rule: str) -> date | None:
    for part in rule.split(";"):
        if part.startswith("UNTIL="):
            text = part[6:14]
            try:
                return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
            except ValueError:
                return None
    return None


def _fast_forward(rule: str, start: datetime, zone: ZoneInfo, target: datetime) -> datetime:
    """A later first occurrence with the same wall-clock time, whole periods on, before ``target``.

    Only for DAILY and WEEKLY rules without COUNT (a COUNT would have to be reduced): stepping by
    whole intervals keeps the weekday and the local time, hence the same occurrences after it;
    iterating a weekly rule that began years ago from its start is what this avoids.
    """
    parts = dict(part.partition("=")[::2] for part in rule.split(";") if part)
    if "COUNT" in parts or parts.get("FREQ") not in ("DAILY", "WEEKLY"):
        return start
    interval = parts.get("INTERVAL", "1")
    period = max(int(interval) if interval.isdigit() else 1, 1) * (
        7 if parts["FREQ"] == "WEEKLY" else 1
    )
    local = start.astimezone(zone).replace(tzinfo=None)
    gap_days = (target.astimezone(zone).replace(tzinfo=None) - local).days - 8
    steps = gap_days // period
    if steps <= 0:
        return start
    return (local + timedelta(days=steps * period)).replace(tzinfo=zone).astimezone(UTC)


@lru_cache(maxsize=EXPANSION_CACHE_SIZE)
def expand_series(
    rule: str,
    start: datetime,
    end: datetime | None,
    timezone: str,
    exdates: tuple[date, ...],
    after: datetime,
    before: datetime,
) -> tuple[Occurrence, ...]:
    """Occurrences of a series overlapping [after, before); a broken rule yields none."""
    rule = normalise_rule(rule)
    until = _until(rule)
    if until is not None and until < (after - timedelta(days=2)).date():
        return ()
    duration = end - start if end is not None else None
    moved = _fast_forward(rule, start, zone_of(timezone), after - (duration or timedelta(0)))
    moved_end = moved + duration if duration is not None else None
    try:
        found = occurrences(
            rule, moved, moved_end, timezone, after=after, before=before, exdates=exdates
        )
    except RecurrenceError:
        return ()
    return tuple(found)


# Queries

_ITEM_COLUMNS = (
    Event.id,
    Event.uri,
    Event.url,
    Event.title,
    Event.start_time,
    Event.end_time,
    Event.timezone,
    Event.status,
    Event.category,
    Event.place_name,
    Event.locality,
    Event.is_local,
    Event.rrule,
    Actor.name,
    Actor.username,
    Actor.domain,
)


def _item(row: Any, start: datetime | None = None, end: datetime | None = None) -> AgendaItem:
    return AgendaItem(
        event_id=row.id,
        uri=row.uri,
        url=row.url,
        title=row.title,
        start=start or row.start_time,
        end=end if start is not None else row.end_time,
        timezone=row.timezone,
        status=row.status,
        category=row.category,
        place_name=row.place_name,
        locality=row.locality,
        is_local=row.is_local,
        is_series=row.rrule is not None,
        organiser_name=row.name or row.username,
        organiser_handle=f"{row.username}@{row.domain}",
    )


def _one_off_window(query: AgendaQuery, start: datetime, end: datetime) -> list[Any]:
    return [
        *query.conditions(),
        Event.rrule.is_(None),
        Event.start_time < end,
        Event.start_time >= start - LONGEST_EVENT,
        func.coalesce(Event.end_time, Event.start_time) >= start,
    ]


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

    bucket: ColumnElement[int] = (
        case(
            *[(Event.start_time < moment, index) for index, moment in enumerate(boundaries)],
            else_=len(boundaries),
        )
        if boundaries
        else literal_column("0")
    )
    one_offs: list[tuple[int, Any]] = []
    if per_day is None:
        plain = (
            select(*_ITEM_COLUMNS)
            .join(Actor, Actor.id == Event.actor_id)
            .where(*_one_off_window(query, start, end))
            .order_by(Event.start_time, Event.id)
        )
        for row in await session.execute(plain):
            index = bisect.bisect_right(edges, row.start_time.timestamp())
            one_offs.append((index, row))
            days[index].total += 1
    else:
        bucketed = (
            select(Event.id.label("event_id"), Event.start_time, bucket.label("bucket"))
            .where(*_one_off_window(query, start, end))
            .subquery()
        )
        ranked = select(
            bucketed.c.event_id,
            bucketed.c.bucket,
            func.row_number()
            .over(
                partition_by=bucketed.c.bucket,
                order_by=(bucketed.c.start_time, bucketed.c.event_id),
            )
            .label("rank"),
            func.count().over(partition_by=bucketed.c.bucket).label("total"),
        ).subquery()
        firsts = (
            select(*_ITEM_COLUMNS, ranked.c.bucket, ranked.c.total)
            .select_from(ranked)
            .join(Event, Event.id == ranked.c.event_id)
            .join(Actor, Actor.id == Event.actor_id)
            .where(ranked.c.rank <= per_day)
            .order_by(Event.start_time, Event.id)
        )
        for row in await session.execute(firsts):
            one_offs.append((row.bucket, row))
            days[row.bucket].total = row.total

    candidates: list[list[tuple[datetime, int, Any]]] = [[] for _ in days]
    for index, row in one_offs:
        candidates[index].append((row.start_time, row.id, _item(row)))

    series_rows = (
        await session.execute(
            select(
                Event.id,
                Event.rrule,
                Event.start_time,
                Event.end_time,
                Event.timezone,
                Event.exdates,
            ).where(*query.conditions(), Event.rrule.is_not(None), Event.start_time < end)
        )
    ).all()
    for series in series_rows:
        assert series.rrule is not None
        for occurrence in expand_series(
            series.rrule,
            series.start_time,
            series.end_time,
            series.timezone,
            exdate_dates(series.exdates),
            start,
            end,
        ):
            index = bisect.bisect_right(edges, occurrence.start.timestamp())
            days[index].total += 1
            candidates[index].append((occurrence.start, series.id, occurrence))

    chosen_series: set[int] = set()
    for index, found in enumerate(candidates):
        found.sort(key=lambda entry: (entry[0], entry[1]))
        if per_day is not None:
            del found[per_day:]
        chosen_series.update(
            event_id for _, event_id, value in found if isinstance(value, Occurrence)
        )
        candidates[index] = found
    details = await _series_details(session, chosen_series)
    for day, found in zip(days, candidates, strict=True):
        for _, event_id, value in found:
            if isinstance(value, AgendaItem):
                day.items.append(value)
            else:
                day.items.append(_item(details[event_id], value.start, value.end))
    return days


async def _series_details(session: AsyncSession, ids: Iterable[int]) -> dict[int, Any]:
    wanted = sorted(ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(*_ITEM_COLUMNS).join(Actor, Actor.id == Event.actor_id).where(Event.id.in_(wanted))
    )
    return {row.id: row for row in rows}


async def upcoming_days(
    session: AsyncSession, query: AgendaQuery, now: datetime, zone: ZoneInfo, *, limit: int
) -> tuple[list[AgendaDay], date | None]:
    """Whole local days from ``now`` holding about ``limit`` one-off events, and the next day."""
    today = now.astimezone(zone).date()
    nth = await session.scalar(
        select(Event.start_time)
        .where(*query.conditions(), Event.rrule.is_(None), Event.start_time >= now)
        .order_by(Event.start_time)
        .offset(limit - 1)
        .limit(1)
    )
    if nth is None:
        last = (now + UPCOMING_HORIZON).astimezone(zone).date()
        following = None
    else:
        last = max(nth.astimezone(zone).date() - timedelta(days=1), today)
        following = last + timedelta(days=1)
    window = Window(today, (last - today).days + 1, zone)
    days = await agenda_days(session, query, window)
    for day in days:
        day.items = [item for item in day.items if (item.end or item.start) >= now]
        day.total = len(day.items)
    return [day for day in days if day.items], following


async def past_days(
    session: AsyncSession, query: AgendaQuery, now: datetime, zone: ZoneInfo, *, limit: int
) -> tuple[list[AgendaDay], date | None]:
    """Whole local days before ``now`` holding about ``limit`` events, newest first."""
    today = now.astimezone(zone).date()
    nth = await session.scalar(
        select(Event.start_time)
        .where(*query.conditions(), Event.rrule.is_(None), Event.start_time < now)
        .order_by(Event.start_time.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if nth is None:
        first = (now - UPCOMING_HORIZON).astimezone(zone).date()
        earlier = None
    else:
        first = min(nth.astimezone(zone).date() + timedelta(days=1), today)
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
    """The categories of the one-off events of a window, for the filter."""
    unfiltered = AgendaQuery(query.local_only, query.actor_id)
    rows = await session.scalars(
        select(Event.category)
        .where(*_one_off_window(unfiltered, start, end), Event.category.is_not(None))
        .distinct()
    )
    return sorted(category for category in rows if category)


async def feed_events(
    session: AsyncSession,
    query: AgendaQuery,
    *,
    after: datetime,
    before: datetime,
    limit: int,
) -> list[tuple[Event, Actor]]:
    """Whole events (series once, with their rule) that have an occurrence in [after, before)."""
    one_offs = (
        await session.execute(
            select(Event, Actor)
            .join(Actor, Actor.id == Event.actor_id)
            .where(*_one_off_window(query, after, before))
            .order_by(Event.start_time, Event.id)
            .limit(limit)
        )
    ).all()
    series = (
        await session.execute(
            select(Event, Actor)
            .join(Actor, Actor.id == Event.actor_id)
            .where(*query.conditions(), Event.rrule.is_not(None), Event.start_time < before)
            .order_by(Event.start_time, Event.id)
        )
    ).all()
    running = [
        (event, actor)
        for event, actor in series
        if event.rrule
        and expand_series(
            event.rrule,
            event.start_time,
            event.end_time,
            event.timezone,
            exdate_dates(event.exdates),
            after,
            before,
        )
    ]
    found = [(event, actor) for event, actor in one_offs] + running
    found.sort(key=lambda pair: (pair[0].start_time, pair[0].id))
    return found[:limit]


def first_occurrence_after(event: Event, moment: datetime, horizon: datetime) -> Occurrence | None:
    """The next occurrence of an event (itself if one-off) overlapping [moment, horizon)."""
    found = (
        expand_series(
            event.rrule,
            event.start_time,
            event.end_time,
            event.timezone,
            exdate_dates(event.exdates),
            moment,
            horizon,
        )
        if event.rrule
        else occurrences(
            None, event.start_time, event.end_time, event.timezone, after=moment, before=horizon
        )
    )
    return found[0] if found else None


def flatten(days: Sequence[AgendaDay]) -> list[AgendaItem]:
    return [item for day in days for item in day.items]
