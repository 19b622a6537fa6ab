"""Taking part in events: RSVPs of our residents and of remote people, and the waiting list.

On the wire this is Mobilizon's shape: a participant sends ``Join{object: event}`` to the
organiser's inbox (the event's ``attributedTo``); the organiser answers ``Accept`` or ``Reject``
whose object is that Join; ``Leave{object: event}`` ends it. A free event accepts at once while
places remain, then puts people on a waiting list: when someone leaves, the first one waiting
moves up and receives the ``Accept``. An event on approval waits for the organiser.

For a series, a Join of one of its dates (its id, see :mod:`commons.events.date_wire`) takes
part on that date only, with that date's places and waiting list; a Join of the series takes
part on every date (see :mod:`commons.events.date_rsvps` for how they count together). The organisers
hear of every join, request, wait, leave and move up (:mod:`commons.events.notices`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.date_rsvps import dates_with_waiters, has_room, remote_occurrence_uri
from commons.events.notices import notify_new_rsvp, notify_organisers
from commons.events.organisers import require_organiser
from commons.events.rsvp_wire import answer_remote, refresh_counts
from config.errors import Conflict, ErrorCode
from config.uris import Uris
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Event, Rsvp, utcnow
from storage.models.events import (
    CANCELLED,
    JOIN_APPROVAL,
    JOIN_EXTERNAL,
    RSVP_ACCEPTED,
    RSVP_PENDING,
    RSVP_REJECTED,
    RSVP_WAITLIST,
)

ACTIVE_STATES = (RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST)


class JoinRefused(Conflict):
    """A Join the event's state refuses: cancelled, registration elsewhere, a date over or not
    one of its own."""


def _of(occurrence: datetime | None) -> ColumnElement[bool]:
    return Rsvp.occurrence.is_(None) if occurrence is None else Rsvp.occurrence == occurrence


async def find_rsvp(
    session: AsyncSession, event: Event, person: Actor, occurrence: datetime | None = None
) -> Rsvp | None:
    """The person's RSVP to the event as a whole (``occurrence`` None) or to one date."""
    return await session.scalar(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.actor_id == person.id, _of(occurrence))
    )


async def waitlist_position(session: AsyncSession, event: Event, rsvp: Rsvp) -> int:
    """1 for the first one waiting (for the same date, or for the whole event)."""
    waiting = await session.scalars(
        select(Rsvp.id)
        .where(Rsvp.event_id == event.id, Rsvp.state == RSVP_WAITLIST, _of(rsvp.occurrence))
        .order_by(Rsvp.created_at, Rsvp.id)
    )
    ids = list(waiting)
    return ids.index(rsvp.id) + 1 if rsvp.id in ids else 0


async def _promote_waiting(session: AsyncSession, uris: Uris, event: Event) -> list[datetime]:
    """Free places go to the waiting lists, first come first served: the whole event's, then
    each date's. Returns the dates whose participants changed."""
    changed: list[datetime] = []
    for occurrence in [None, *await dates_with_waiters(session, event)]:
        while await has_room(session, event, occurrence):
            rsvp = await session.scalar(
                select(Rsvp)
                .where(Rsvp.event_id == event.id, Rsvp.state == RSVP_WAITLIST, _of(occurrence))
                .order_by(Rsvp.created_at, Rsvp.id)
                .limit(1)
            )
            if rsvp is None:
                break
            rsvp.state = RSVP_ACCEPTED
            await session.flush()
            await notify_organisers(session, event, rsvp.actor_id, "event_promoted", occurrence)
            if occurrence is not None:
                changed.append(occurrence)
            person = await session.get(Actor, rsvp.actor_id)
            assert person is not None
            await answer_remote(session, uris, event, rsvp, person, "Accept")
    return changed


async def join_event(
    session: AsyncSession,
    uris: Uris,
    person: Actor,
    event: Event,
    *,
    occurrence: datetime | None = None,
    join_uri: str | None = None,
    message: str | None = None,
) -> Rsvp:
    """Take part (in one date of a series when ``occurrence`` is its start): accepted, pending
    approval, or waiting; a remote event is asked by ``Join``.

    Raises :class:`JoinRefused` ``cancelled``, ``external_registration``, ``date_over`` or
    ``no_such_date`` (a date of an event that is no series, or whose remote server does not
    name its dates).
    """
    if event.deleted_at is not None or event.status == CANCELLED:
        raise JoinRefused(ErrorCode.CANCELLED)
    if event.join_mode == JOIN_EXTERNAL:
        raise JoinRefused(ErrorCode.EXTERNAL_REGISTRATION)
    if occurrence is not None:
        if not event.rrule or (
            not event.is_local and remote_occurrence_uri(event, occurrence) is None
        ):
            raise JoinRefused(ErrorCode.NO_SUCH_DATE)
        if occurrence < utcnow():
            raise JoinRefused(ErrorCode.DATE_OVER)
        whole = await find_rsvp(session, event, person)
        if whole is not None and whole.state == RSVP_ACCEPTED:  # already comes on every date
            if event.is_local and join_uri:
                await answer_remote(session, uris, event, whole, person, "Accept",
                                    join_uri=join_uri)  # fmt: skip
            return whole
    rsvp = await find_rsvp(session, event, person, occurrence)
    if rsvp is not None and rsvp.state in ACTIVE_STATES:
        if event.is_local and rsvp.state == RSVP_ACCEPTED and join_uri:
            rsvp.uri = rsvp.uri or join_uri
            await answer_remote(session, uris, event, rsvp, person, "Accept", join_uri=join_uri)
        return rsvp
    if rsvp is not None and rsvp.state == RSVP_REJECTED and event.is_local:
        await answer_remote(session, uris, event, rsvp, person, "Reject", join_uri=join_uri)
        return rsvp
    if rsvp is None:
        rsvp = Rsvp(
            event_id=event.id,
            actor_id=person.id,
            occurrence=occurrence,
            state=RSVP_PENDING,  # not counted while the room is looked at
            created_at=utcnow(),
        )
        session.add(rsvp)
    rsvp.message = (message or "").strip()[:2000] or None
    if not event.is_local:
        return await _ask_remote_organiser(session, uris, person, event, rsvp)
    rsvp.uri = join_uri if not person.is_local else None
    if event.join_mode == JOIN_APPROVAL:
        rsvp.state = RSVP_PENDING
    elif await has_room(session, event, occurrence):
        rsvp.state = RSVP_ACCEPTED
    else:
        rsvp.state = RSVP_WAITLIST
    await session.flush()
    await notify_new_rsvp(session, event, person.id, rsvp.state, occurrence)
    if rsvp.state == RSVP_ACCEPTED:
        await answer_remote(session, uris, event, rsvp, person, "Accept")
        await refresh_counts(session, uris, event, occurrence)
    return rsvp


def _object_of(event: Event, occurrence: datetime | None) -> str:
    if occurrence is None:
        return event.uri
    found = remote_occurrence_uri(event, occurrence)
    if found is None:
        raise JoinRefused(ErrorCode.NO_SUCH_DATE)
    return found


async def _ask_remote_organiser(
    session: AsyncSession, uris: Uris, person: Actor, event: Event, rsvp: Rsvp
) -> Rsvp:
    """Mobilizon's way: ``Join{object: event}`` (or one of its dates) to the organiser's own
    inbox, pending until its ``Accept``."""
    organiser = await session.get(Actor, event.actor_id)
    assert organiser is not None
    target = _object_of(event, rsvp.occurrence)
    join = build_activity(uris, "Join", person, target, [organiser.uri], [])
    if rsvp.message:
        join["participationMessage"] = rsvp.message
    rsvp.uri = join["id"]
    rsvp.state = RSVP_PENDING
    await session.flush()
    await enqueue_activity(session, person, join, to_followers=False, inboxes=[organiser.inbox_uri])
    return rsvp


async def leave_event(
    session: AsyncSession,
    uris: Uris,
    person: Actor,
    event: Event,
    *,
    occurrence: datetime | None = None,
) -> bool:
    """Stop taking part (in one date, or in the whole event); the first one waiting takes the
    place. False if not taking part."""
    rsvp = await find_rsvp(session, event, person, occurrence)
    if rsvp is None or rsvp.state == RSVP_REJECTED:
        return False
    was_accepted = rsvp.state == RSVP_ACCEPTED
    await session.delete(rsvp)
    await session.flush()
    if not event.is_local:
        organiser = await session.get(Actor, event.actor_id)
        assert organiser is not None
        leave = build_activity(
            uris, "Leave", person, _object_of(event, occurrence), [organiser.uri], []
        )
        await enqueue_activity(
            session, person, leave, to_followers=False, inboxes=[organiser.inbox_uri]
        )
        return True
    await notify_organisers(session, event, person.id, "event_left", occurrence)
    if was_accepted:
        changed = {*await _promote_waiting(session, uris, event)}
        if occurrence is not None:
            changed.add(occurrence)
        dates: list[datetime | None] = [*sorted(changed)] or [None]
        for start in dates:
            await refresh_counts(session, uris, event, start)
    return True


async def answer_participation(
    session: AsyncSession,
    uris: Uris,
    author: Actor,
    event: Event,
    rsvp_id: int,
    *,
    accept: bool,
) -> Rsvp:
    """The organiser accepts or refuses a request (or someone waiting), for a date or all.

    Raises NotOrganiser, or Conflict ``not_pending`` or ``full``.
    """
    await require_organiser(session, author, event)
    rsvp = await session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.event_id != event.id or rsvp.state not in (RSVP_PENDING, RSVP_WAITLIST):
        raise Conflict(ErrorCode.NOT_PENDING)
    person = await session.get(Actor, rsvp.actor_id)
    assert person is not None
    if not accept:
        rsvp.state = RSVP_REJECTED
        await answer_remote(session, uris, event, rsvp, person, "Reject")
        return rsvp
    if not await has_room(session, event, rsvp.occurrence):
        raise Conflict(ErrorCode.FULL)
    rsvp.state = RSVP_ACCEPTED
    await answer_remote(session, uris, event, rsvp, person, "Accept")
    await refresh_counts(session, uris, event, rsvp.occurrence)
    return rsvp


async def record_answer(
    session: AsyncSession, organiser: Actor, join_uri: str, *, accepted: bool
) -> Rsvp | None:
    """The organiser of a remote event answered one of our residents' Joins."""
    rsvp = await session.scalar(select(Rsvp).where(Rsvp.uri == join_uri))
    if rsvp is None:
        return None
    event = await session.get(Event, rsvp.event_id)
    if event is None or event.is_local or event.actor_id != organiser.id:
        return None
    rsvp.state = RSVP_ACCEPTED if accepted else RSVP_REJECTED
    return rsvp
