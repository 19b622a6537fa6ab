"""The next events of a neighbourhood or of one organiser, each once: a weekly series is one
entry with its next date, not a row for every week (for the home page, a profile, a list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.agenda.queries import AgendaQuery, feed_events, first_dates
from commons.events.recurrence import Occurrence
from storage.models import Actor, Event, Rsvp
from storage.models.events import CANCELLED, RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST

AHEAD = timedelta(days=366)
CANDIDATES = 60


@dataclass(frozen=True, slots=True)
class UpcomingEvent:
    event: Event
    organiser: Actor
    next: Occurrence

    @property
    def is_series(self) -> bool:
        return self.event.rrule is not None


async def upcoming_events(
    session: AsyncSession, query: AgendaQuery, now: datetime, *, limit: int
) -> list[UpcomingEvent]:
    """The first ``limit`` events with a date from ``now`` on (cancelled ones left out), by their
    next date; a series once, at its next date."""
    candidates = [
        (event, organiser)
        for event, organiser in await feed_events(
            session, query, after=now, before=now + AHEAD, limit=CANDIDATES
        )
        if event.status != CANCELLED and event.deleted_at is None
    ]
    dates = await first_dates(session, [event for event, _ in candidates], now, now + AHEAD)
    found = [
        UpcomingEvent(event, organiser, dates[event.id])
        for event, organiser in candidates
        if event.id in dates
    ]
    found.sort(key=lambda entry: (entry.next.start, entry.event.id))
    return found[:limit]


@dataclass(frozen=True, slots=True)
class JoinedDate(UpcomingEvent):
    """A date I take part in (or asked to): ``state`` is the RSVP's; a whole series I joined
    shows its next date."""

    state: str = ""
    whole_series: bool = False


async def joined_dates(
    session: AsyncSession, actor_id: int, now: datetime, *, limit: int
) -> list[JoinedDate]:
    """The coming dates an actor joined, asked to join or waits for, soonest first."""
    rows = (
        await session.execute(
            select(Event, Actor, Rsvp.occurrence, Rsvp.state)
            .join(Rsvp, Rsvp.event_id == Event.id)
            .join(Actor, Actor.id == Event.actor_id)
            .where(
                Rsvp.actor_id == actor_id,
                Rsvp.state.in_((RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST)),
                Event.deleted_at.is_(None),
            )
            .limit(CANDIDATES * 10)
        )
    ).all()
    whole = [event for event, _, occurrence, _ in rows if occurrence is None]
    dates = await first_dates(session, whole, now, now + AHEAD)
    found: list[JoinedDate] = []
    for event, organiser, occurrence, state in rows:
        if occurrence is None:
            if event.id not in dates:
                continue
            found.append(
                JoinedDate(event, organiser, dates[event.id], state, event.rrule is not None)
            )
            continue
        start = occurrence if occurrence.tzinfo else occurrence.replace(tzinfo=UTC)
        length = event.end_time - event.start_time if event.end_time else None
        end = start + length if length is not None else None
        if (end or start) >= now:
            found.append(JoinedDate(event, organiser, Occurrence(start, end), state))
    found.sort(key=lambda entry: (entry.next.start, entry.event.id))
    return found[:limit]
