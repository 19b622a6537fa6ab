"""Series expanded in Python: every date up to a horizon for the table of occurrences, and any
window of dates for the reads that go past what the table holds.

Both walk the same rule the same way (local wall-clock times of the organiser's zone, converted
to UTC; exception dates compared as local dates), so a date is the same whichever one found it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from commons.events.recurrence import (
    Occurrence,
    RecurrenceError,
    normalise_rule,
    occurrences,
    parse_rule,
)

EXPANSION_CACHE_SIZE = 65_536
MAX_ROWS_PER_EVENT = 5_000
"""At most this many dates of one event in the table (a daily series over 13 years)."""


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


# Every date up to a horizon, for the table


@dataclass(frozen=True, slots=True)
class Expansion:
    """The dates of an event starting before ``until``; ``until`` None: all of its dates."""

    dates: tuple[Occurrence, ...]
    until: datetime | None


def expand_until(
    rule: str | None,
    start: datetime,
    end: datetime | None,
    timezone: str,
    exdates: tuple[date, ...],
    before: datetime,
    *,
    after: datetime | None = None,
    limit: int = MAX_ROWS_PER_EVENT,
) -> Expansion:
    """The dates starting in [after, before) (at most ``limit``), and where they stop.

    A one-off event is its own single date whatever ``before`` is. A rule that cannot be read
    yields no date, as everywhere else. ``until`` stays None only when the rule has no date left
    after the last one returned, so that "nothing after it" is never a guess.
    """
    if not rule:
        kept = after is None or start >= after
        return Expansion((Occurrence(start, end),) if kept else (), None)
    zone = zone_of(timezone)
    try:
        parsed = parse_rule(normalise_rule(rule), start.astimezone(zone))
    except RecurrenceError:
        return Expansion((), None)
    duration = end - start if end is not None else None
    skipped = set(exdates)
    found: list[Occurrence] = []
    for naive in parsed:
        if naive.date() in skipped:
            continue
        moment = naive.replace(tzinfo=zone).astimezone(UTC)
        if after is not None and moment < after:
            continue
        if moment >= before:
            return Expansion(tuple(found), before)
        if len(found) >= limit:
            return Expansion(tuple(found), moment)
        found.append(Occurrence(moment, moment + duration if duration is not None else None))
    return Expansion(tuple(found), None)


# Any window of dates, for reads past the table


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
    period = max(int(interval) if interval.isdecimal() else 1, 1) * (
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
