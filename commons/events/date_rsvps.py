"""Taking part in one date of a series: who comes on which date, and the room left on it.

An RSVP names a date by its UTC start (``Rsvp.occurrence``), or none: a one-off event, or the
whole series. Someone who takes part in the whole series comes on every date, so a date's
participants are those of that date and those of the whole series (each person once), and the
capacity of the event applies to each date. The whole series has room while every coming date
has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, delete, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.expansion import zone_of
from storage.models import Event, EventOccurrence, Rsvp, utcnow
from storage.models.events import RSVP_ACCEPTED, RSVP_WAITLIST

OCCURRENCE_PATH = re.compile(r"^(?P<event>https?://.+)/occurrences/(?P<day>\d{4}-\d{2}-\d{2})$")
TEMPLATE_TERM = "occurrenceTemplate"
"""Our Event documents of a series carry ``<event id>/occurrences/{date}``: the id of each date."""


# The ids of dates


def local_day(event: Event, start: datetime) -> date:
    """A date of a series is named by its day in the organiser's zone."""
    return start.astimezone(zone_of(event.timezone)).date()


def occurrence_uri(event: Event, start: datetime) -> str:
    """The id (and page) of one date of one of our series."""
    return f"{event.uri}/occurrences/{local_day(event, start).isoformat()}"


def occurrence_template(event: Event) -> str:
    return f"{event.uri}/occurrences/{{date}}"


def remote_occurrence_uri(event: Event, start: datetime) -> str | None:
    """The id of a date of a remote series, when its server says how dates are named."""
    document = event.document if isinstance(event.document, dict) else {}
    template = document.get(TEMPLATE_TERM)
    if not isinstance(template, str) or template != occurrence_template(event):
        return None
    return template.replace("{date}", local_day(event, start).isoformat())


def split_occurrence_uri(uri: str | None) -> tuple[str, date] | None:
    """``(event id, day)`` of a date's id, or None when ``uri`` names no date."""
    found = OCCURRENCE_PATH.match(uri or "")
    if found is None:
        return None
    try:
        return found["event"], date.fromisoformat(found["day"])
    except ValueError:
        return None


# Counting


async def count_taking_part(
    session: AsyncSession, event: Event, occurrence: datetime | None
) -> int:
    """The accepted participants of the event (``None``: of it as a whole) or of one date."""
    condition: ColumnElement[bool] = (
        Rsvp.occurrence.is_(None)
        if occurrence is None
        else or_(Rsvp.occurrence == occurrence, Rsvp.occurrence.is_(None))
    )
    count = await session.scalar(
        select(func.count(distinct(Rsvp.actor_id))).where(
            Rsvp.event_id == event.id, Rsvp.state == RSVP_ACCEPTED, condition
        )
    )
    return count or 0


async def date_counts(
    session: AsyncSession, event: Event, starts: Iterable[datetime]
) -> dict[datetime, int]:
    """The participants of each of these dates (those of the whole series included)."""
    wanted = sorted(set(starts))
    if not wanted:
        return {}
    whole = set(
        await session.scalars(
            select(Rsvp.actor_id).where(
                Rsvp.event_id == event.id,
                Rsvp.state == RSVP_ACCEPTED,
                Rsvp.occurrence.is_(None),
            )
        )
    )
    found: dict[datetime, set[int]] = {start: set(whole) for start in wanted}
    rows = await session.execute(
        select(Rsvp.occurrence, Rsvp.actor_id).where(
            Rsvp.event_id == event.id,
            Rsvp.state == RSVP_ACCEPTED,
            Rsvp.occurrence.in_(wanted),
        )
    )
    for start, actor_id in rows:
        if start is not None:
            found[start].add(actor_id)
    return {start: len(people) for start, people in found.items()}


async def busiest_count(session: AsyncSession, event: Event) -> int:
    """The most participants of the whole event or of any coming date (what a capacity must
    hold)."""
    coming = await session.scalars(
        select(Rsvp.occurrence)
        .where(
            Rsvp.event_id == event.id,
            Rsvp.state == RSVP_ACCEPTED,
            Rsvp.occurrence >= utcnow(),
        )
        .distinct()
    )
    counts = await date_counts(session, event, [start for start in coming if start])
    return max([await count_taking_part(session, event, None), *counts.values()])


async def has_room(session: AsyncSession, event: Event, occurrence: datetime | None) -> bool:
    if event.capacity is None:
        return True
    if occurrence is not None:
        return await count_taking_part(session, event, occurrence) < event.capacity
    return await busiest_count(session, event) < event.capacity


def remaining(event: Event, count: int) -> int | None:
    return max(event.capacity - count, 0) if event.capacity is not None else None


# When the dates move


async def follow_dates(session: AsyncSession, event: Event) -> None:
    """After the dates of a series changed: each RSVP to a date follows it to its new time on
    the same day; those whose day no longer has a date are removed (everyone who asked was
    told of the change with the event's Update)."""
    rsvps = list(
        await session.scalars(
            select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.occurrence.is_not(None))
        )
    )
    if not rsvps:
        return
    days = {local_day(event, rsvp.occurrence) for rsvp in rsvps if rsvp.occurrence is not None}
    starts = await session.scalars(
        select(EventOccurrence.start_time).where(EventOccurrence.event_id == event.id)
    )
    by_day = {local_day(event, start): start for start in starts if local_day(event, start) in days}
    gone: list[int] = []
    for rsvp in rsvps:
        assert rsvp.occurrence is not None
        moved = by_day.get(local_day(event, rsvp.occurrence))
        if moved is None:
            gone.append(rsvp.id)
        else:
            rsvp.occurrence = moved
    if gone:
        await session.execute(delete(Rsvp).where(Rsvp.id.in_(gone)))
    await session.flush()


async def dates_with_waiters(session: AsyncSession, event: Event) -> Sequence[datetime]:
    found = await session.scalars(
        select(Rsvp.occurrence)
        .where(
            Rsvp.event_id == event.id,
            Rsvp.state == RSVP_WAITLIST,
            Rsvp.occurrence.is_not(None),
        )
        .distinct()
        .order_by(Rsvp.occurrence)
    )
    return [start for start in found if start is not None]
