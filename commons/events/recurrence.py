"""Recurring events: RFC 5545 rules, checked once, expanded in the organiser's time zone.

A weekly repair café at 10:00 in Geneva stays at 10:00 local time across the change to summer
time, so occurrences are computed on local wall-clock times and converted to UTC afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from config.errors import ErrorCode, Invalid
from storage.integers import parse_whole

MAX_OCCURRENCES = 500
MAX_RULE_LENGTH = 500  # an event keeps its rule in a column of 500 characters
ALLOWED_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


class RecurrenceError(Invalid):
    """A rule we cannot use; it concerns the form's ``rrule`` field."""

    def __init__(self, code: ErrorCode) -> None:
        super().__init__(code, "rrule")


@dataclass(frozen=True, slots=True)
class Occurrence:
    start: datetime  # UTC
    end: datetime | None  # UTC


def normalise_rule(text: str) -> str:
    """``FREQ=WEEKLY;BYDAY=SA`` with or without the ``RRULE:`` prefix, upper-cased, no spaces."""
    rule = text.strip().replace(" ", "").upper()
    return rule.removeprefix("RRULE:")


def parse_rule(rule: str, local_start: datetime) -> rrule:
    try:
        parsed = rrulestr(f"RRULE:{rule}", dtstart=local_start.replace(tzinfo=None))
    except (ValueError, TypeError, KeyError, IndexError):
        raise RecurrenceError(ErrorCode.INVALID_RULE) from None
    if not isinstance(parsed, rrule):
        raise RecurrenceError(ErrorCode.INVALID_RULE)
    return parsed


def validate_rule(text: str, start: datetime, timezone: str) -> str:
    """The normalised rule, or RecurrenceError: ``invalid_rule`` (also when longer than an event
    keeps), ``unsupported_frequency``, ``no_occurrence`` (it never happens) or ``too_frequent``
    (more often than daily)."""
    rule = normalise_rule(text)
    if not rule or len(rule) > MAX_RULE_LENGTH:
        raise RecurrenceError(ErrorCode.INVALID_RULE)
    parts = dict(part.partition("=")[::2] for part in rule.split(";") if part)
    if parts.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise RecurrenceError(ErrorCode.UNSUPPORTED_FREQUENCY)
    if "INTERVAL" in parts and not parse_whole(parts["INTERVAL"]):  # none, 0 or not a number
        raise RecurrenceError(ErrorCode.INVALID_RULE)
    local_start = start.astimezone(ZoneInfo(timezone))
    parsed = parse_rule(rule, local_start)
    first_two = []
    for moment in parsed:
        first_two.append(moment)
        if len(first_two) == 2:
            break
    if not first_two:
        raise RecurrenceError(ErrorCode.NO_OCCURRENCE)
    if len(first_two) == 2 and first_two[1] - first_two[0] < timedelta(hours=23):
        raise RecurrenceError(ErrorCode.TOO_FREQUENT)
    return rule


def occurrences(
    rule: str | None,
    start: datetime,
    end: datetime | None,
    timezone: str,
    *,
    after: datetime,
    before: datetime,
    exdates: Iterable[date] = (),
    limit: int = MAX_OCCURRENCES,
) -> list[Occurrence]:
    """Occurrences that overlap [after, before), in UTC; a one-off event yields itself if it does."""
    duration = (end - start) if end is not None else None
    if not rule:
        finishes = end or start
        return [Occurrence(start, end)] if finishes >= after and start < before else []
    zone = ZoneInfo(timezone)
    local_start = start.astimezone(zone)
    skipped = set(exdates)
    parsed = parse_rule(normalise_rule(rule), local_start)
    window_start = (after - (duration or timedelta(0))).astimezone(zone).replace(tzinfo=None)
    found: list[Occurrence] = []
    for naive in parsed.xafter(window_start, count=limit * 2, inc=True):
        moment = naive.replace(tzinfo=zone).astimezone(UTC)
        if moment >= before or len(found) >= limit:
            break
        if naive.date() in skipped:
            continue
        finish = moment + duration if duration is not None else None
        if (finish or moment) >= after:
            found.append(Occurrence(moment, finish))
    return found


def next_occurrences(
    rule: str | None,
    start: datetime,
    end: datetime | None,
    timezone: str,
    *,
    now: datetime,
    count: int = 3,
    exdates: Iterable[date] = (),
) -> list[Occurrence]:
    """The next ``count`` occurrences from ``now`` (for a summary that reads well alone)."""
    horizon = now + timedelta(days=3 * 366)
    return occurrences(
        rule, start, end, timezone, after=now, before=horizon, exdates=exdates, limit=count
    )
