"""Taking part in events: RSVPs of our residents and of remote people, and the waiting list.

On the wire this is Mobilizon's shape: a participant sends ``Join{object: event}`` to the
organiser's inbox (the event's ``attributedTo``); the organiser answers ``Accept`` or ``Reject``
whose object is that Join; ``Leave{object: event}`` ends it. A free event accepts at once while
places remain, then puts people on a waiting list: when someone leaves, the first one waiting
moves up and receives the ``Accept``. An event on approval waits for the organiser.

Counts travel in ``Update`` of the Event. While an earlier Update of the same event still waits
in the delivery queue, untouched, its payload is refreshed instead of queueing another one, so a
burst of RSVPs costs one delivery per inbox.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.uris import Uris
from commons.events import (
    EventError,
    count_participants,
    event_document,
    participant_inboxes,
    require_organiser,
    send_event,
)
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity, serialize
from outbox.recipients import deliverable, follower_inboxes
from storage.models import Activity, Actor, Delivery, Event, Rsvp, utcnow
from storage.models.events import (
    CANCELLED,
    JOIN_APPROVAL,
    JOIN_EXTERNAL,
    RSVP_ACCEPTED,
    RSVP_PENDING,
    RSVP_REJECTED,
    RSVP_WAITLIST,
)
from storage.models.queue import QUEUED
from storage.upsert import insert_ignoring_duplicates

ACTIVE_STATES = (RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST)


async def find_rsvp(session: AsyncSession, event: Event, person: Actor) -> Rsvp | None:
    return await session.scalar(
        select(Rsvp).where(
            Rsvp.event_id == event.id, Rsvp.actor_id == person.id, Rsvp.occurrence.is_(None)
        )
    )


async def waitlist_position(session: AsyncSession, event: Event, rsvp: Rsvp) -> int:
    """1 for the first one waiting."""
    waiting = await session.scalars(
        select(Rsvp.id)
        .where(Rsvp.event_id == event.id, Rsvp.state == RSVP_WAITLIST)
        .order_by(Rsvp.created_at, Rsvp.id)
    )
    ids = list(waiting)
    return ids.index(rsvp.id) + 1 if rsvp.id in ids else 0


def has_room(event: Event) -> bool:
    return event.capacity is None or event.participant_count < event.capacity


def join_document(rsvp: Rsvp, person: Actor, event: Event) -> dict[str, Any]:
    """The Join an Accept or Reject answers (Mobilizon reads the Join's id)."""
    return {"id": rsvp.uri, "type": "Join", "actor": person.uri, "object": event.uri}


async def _answer_remote(
    session: AsyncSession, uris: Uris, event: Event, rsvp: Rsvp, person: Actor, kind: str
) -> None:
    if person.is_local or rsvp.uri is None:
        return
    organiser = await session.get(Actor, event.actor_id)
    assert organiser is not None
    answer = build_activity(
        uris, kind, organiser, join_document(rsvp, person, event), [person.uri], []
    )
    await enqueue_activity(
        session, organiser, answer, to_followers=False, inboxes=[person.inbox_uri]
    )


async def refresh_counts(session: AsyncSession, uris: Uris, event: Event) -> None:
    """Recount the accepted participants and tell the others (coalesced, see above)."""
    await session.flush()
    count = await count_participants(session, event)
    if count == event.participant_count:
        return
    event.participant_count = count
    await session.flush()
    organiser = await session.get(Actor, event.actor_id)
    assert organiser is not None
    await federate_counts(session, uris, organiser, event)


async def federate_counts(
    session: AsyncSession, uris: Uris, organiser: Actor, event: Event
) -> None:
    waiting = await _untouched_update(session, organiser, event)
    if waiting is None:
        await send_event(session, uris, organiser, event, "Update")
        return
    document = json.loads(waiting.payload)
    document["object"] = event_document(event, organiser, with_context=False)
    waiting.payload = serialize(document)
    targets = await participant_inboxes(session, event)
    targets += await follower_inboxes(session, organiser.id)
    now = utcnow()
    rows = [
        {"activity_id": waiting.id, "sender_id": organiser.id, "inbox_uri": inbox, "host": host,
         "state": QUEUED, "attempts": 0, "next_attempt_at": now, "created_at": now}
        for inbox, host in await deliverable(session, targets)
    ]  # fmt: skip
    await insert_ignoring_duplicates(session, Delivery, rows, ["activity_id", "inbox_uri"])


async def _untouched_update(
    session: AsyncSession, organiser: Actor, event: Event
) -> Activity | None:
    """The latest Update of the event, if no worker has started on any of its deliveries."""
    latest = await session.scalar(
        select(Activity)
        .where(
            Activity.actor_id == organiser.id,
            Activity.type == "Update",
            Activity.object_uri == event.uri,
        )
        .order_by(Activity.id.desc())
        .limit(1)
    )
    if latest is None:
        return None
    started = await session.scalar(
        select(
            exists().where(
                Delivery.activity_id == latest.id,
                or_(
                    Delivery.state != QUEUED,
                    Delivery.attempts > 0,
                    Delivery.locked_until.is_not(None),
                ),
            )
        )
    )
    any_delivery = await session.scalar(select(exists().where(Delivery.activity_id == latest.id)))
    return latest if any_delivery and not started else None


async def _promote_waiting(session: AsyncSession, uris: Uris, event: Event) -> None:
    """Free places go to the waiting list, first come first served."""
    count = await count_participants(session, event)
    while event.capacity is None or count < event.capacity:
        rsvp = await session.scalar(
            select(Rsvp)
            .where(Rsvp.event_id == event.id, Rsvp.state == RSVP_WAITLIST)
            .order_by(Rsvp.created_at, Rsvp.id)
            .limit(1)
        )
        if rsvp is None:
            return
        rsvp.state = RSVP_ACCEPTED
        count += 1
        person = await session.get(Actor, rsvp.actor_id)
        assert person is not None
        await _answer_remote(session, uris, event, rsvp, person, "Accept")


async def join_event(
    session: AsyncSession,
    uris: Uris,
    person: Actor,
    event: Event,
    *,
    join_uri: str | None = None,
    message: str | None = None,
) -> Rsvp:
    """Take part: accepted, pending approval, or waiting; a remote event is asked by ``Join``.

    Raises EventError ``cancelled`` or ``external_registration``.
    """
    if event.deleted_at is not None or event.status == CANCELLED:
        raise EventError("cancelled")
    if event.join_mode == JOIN_EXTERNAL:
        raise EventError("external_registration")
    rsvp = await find_rsvp(session, event, person)
    if rsvp is not None and rsvp.state in ACTIVE_STATES:
        if event.is_local and rsvp.state == RSVP_ACCEPTED and join_uri:
            rsvp.uri = rsvp.uri or join_uri
            await _answer_remote(session, uris, event, rsvp, person, "Accept")
        return rsvp
    if rsvp is not None and rsvp.state == RSVP_REJECTED and event.is_local:
        await _answer_remote(session, uris, event, rsvp, person, "Reject")
        return rsvp
    if rsvp is None:
        rsvp = Rsvp(event_id=event.id, actor_id=person.id, created_at=utcnow())
        session.add(rsvp)
    rsvp.message = (message or "").strip()[:2000] or None
    if not event.is_local:
        return await _ask_remote_organiser(session, uris, person, event, rsvp)
    rsvp.uri = join_uri if not person.is_local else None
    if event.join_mode == JOIN_APPROVAL:
        rsvp.state = RSVP_PENDING
    elif has_room(event):
        rsvp.state = RSVP_ACCEPTED
    else:
        rsvp.state = RSVP_WAITLIST
    await session.flush()
    if rsvp.state == RSVP_ACCEPTED:
        await _answer_remote(session, uris, event, rsvp, person, "Accept")
        await refresh_counts(session, uris, event)
    return rsvp


async def _ask_remote_organiser(
    session: AsyncSession, uris: Uris, person: Actor, event: Event, rsvp: Rsvp
) -> Rsvp:
    """Mobilizon's way: ``Join{object: event}`` to the organiser's own inbox, pending until
    its ``Accept``."""
    organiser = await session.get(Actor, event.actor_id)
    assert organiser is not None
    join = build_activity(uris, "Join", person, event.uri, [organiser.uri], [])
    if rsvp.message:
        join["participationMessage"] = rsvp.message
    rsvp.uri = join["id"]
    rsvp.state = RSVP_PENDING
    await session.flush()
    await enqueue_activity(session, person, join, to_followers=False, inboxes=[organiser.inbox_uri])
    return rsvp


async def leave_event(session: AsyncSession, uris: Uris, person: Actor, event: Event) -> bool:
    """Stop taking part; the first one waiting takes the place. False if not taking part."""
    rsvp = await find_rsvp(session, event, person)
    if rsvp is None or rsvp.state == RSVP_REJECTED:
        return False
    was_accepted = rsvp.state == RSVP_ACCEPTED
    await session.delete(rsvp)
    await session.flush()
    if not event.is_local:
        organiser = await session.get(Actor, event.actor_id)
        assert organiser is not None
        leave = build_activity(uris, "Leave", person, event.uri, [organiser.uri], [])
        await enqueue_activity(
            session, person, leave, to_followers=False, inboxes=[organiser.inbox_uri]
        )
        return True
    if was_accepted:
        await _promote_waiting(session, uris, event)
        await refresh_counts(session, uris, event)
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
    """The organiser accepts or refuses a request (or someone waiting).

    Raises NotOrganiser, or EventError ``not_pending`` or ``full``.
    """
    await require_organiser(session, author, event)
    rsvp = await session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.event_id != event.id or rsvp.state not in (RSVP_PENDING, RSVP_WAITLIST):
        raise EventError("not_pending")
    person = await session.get(Actor, rsvp.actor_id)
    assert person is not None
    if not accept:
        rsvp.state = RSVP_REJECTED
        await _answer_remote(session, uris, event, rsvp, person, "Reject")
        return rsvp
    if not has_room(event):
        raise EventError("full")
    rsvp.state = RSVP_ACCEPTED
    await _answer_remote(session, uris, event, rsvp, person, "Accept")
    await refresh_counts(session, uris, event)
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
