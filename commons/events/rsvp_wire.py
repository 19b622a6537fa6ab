"""What taking part sends: the organiser's Accept or Reject of a Join, and the new counts.

Counts travel in ``Update`` of the Event (of the date's own Event for a date of a series).
While an earlier Update of the same object still waits in the delivery queue, untouched, its
payload is refreshed instead of queueing another one, so a burst of RSVPs costs one delivery
per inbox.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.date_rsvps import count_taking_part, local_day, occurrence_uri
from commons.events.date_wire import build_occurrence
from commons.events.dates import date_on
from commons.events.services import count_participants, event_document, participant_inboxes
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity, serialize
from outbox.recipients import actor_inboxes, deliverable, follower_inboxes
from storage.models import Activity, Actor, Delivery, Event, Rsvp, utcnow
from storage.models.events import RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST
from storage.models.queue import QUEUED
from storage.upsert import insert_ignoring_duplicates


def join_object(event: Event, rsvp: Rsvp) -> str:
    """What a Join of ours was about: the event, or one date of it."""
    return event.uri if rsvp.occurrence is None else occurrence_uri(event, rsvp.occurrence)


def join_document(
    rsvp: Rsvp, person: Actor, event: Event, join_uri: str | None = None
) -> dict[str, Any]:
    """The Join an Accept or Reject answers (Mobilizon reads the Join's id)."""
    return {"id": join_uri or rsvp.uri, "type": "Join", "actor": person.uri,
            "object": join_object(event, rsvp)}  # fmt: skip


async def answer_remote(
    session: AsyncSession,
    uris: Uris,
    event: Event,
    rsvp: Rsvp,
    person: Actor,
    kind: str,
    *,
    join_uri: str | None = None,
) -> None:
    """``Accept`` or ``Reject`` of a remote person's Join (``join_uri``: another Join than the
    one the RSVP came with, answered the same way)."""
    if person.is_local or (join_uri or rsvp.uri) is None:
        return
    organiser = await session.get(Actor, event.actor_id)
    assert organiser is not None
    answer = build_activity(
        uris, kind, organiser, join_document(rsvp, person, event, join_uri), [person.uri], []
    )
    await enqueue_activity(
        session, organiser, answer, to_followers=False, inboxes=[person.inbox_uri]
    )


async def refresh_counts(
    session: AsyncSession, uris: Uris, event: Event, occurrence: datetime | None = None
) -> None:
    """Recount and tell the others: the whole event's participants always, and those of one
    date when ``occurrence`` names it."""
    await session.flush()
    organiser = await session.get(Actor, event.actor_id)
    assert organiser is not None
    count = await count_participants(session, event)
    if count != event.participant_count:
        event.participant_count = count
        await session.flush()
        targets = await participant_inboxes(session, event)
        targets += await follower_inboxes(session, organiser.id)
        document = event_document(event, organiser, with_context=False)
        await _send_update(session, uris, organiser, document, targets)
    if occurrence is not None:
        found = await date_on(session, event, local_day(event, occurrence))
        if found is None or found.start != occurrence:
            return
        date_count = await count_taking_part(session, event, occurrence)
        document = build_occurrence(
            event, organiser, found.start, found.end, date_count, with_context=False
        )
        await _send_update(
            session, uris, organiser, document, await _date_inboxes(session, event, occurrence)
        )


async def _date_inboxes(session: AsyncSession, event: Event, occurrence: datetime) -> list[str]:
    """Remote people who asked to come on that date (or on every date)."""
    people = await session.scalars(
        select(Actor)
        .join(Rsvp, Rsvp.actor_id == Actor.id)
        .where(
            Rsvp.event_id == event.id,
            Rsvp.state.in_((RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST)),
            or_(Rsvp.occurrence == occurrence, Rsvp.occurrence.is_(None)),
        )
    )
    return actor_inboxes(list(people))


async def _send_update(
    session: AsyncSession,
    uris: Uris,
    organiser: Actor,
    document: dict[str, Any],
    targets: Sequence[str],
) -> None:
    waiting = await _untouched_update(session, organiser, document["id"])
    if waiting is None:
        cc = [organiser.followers_uri] if organiser.followers_uri else []
        activity = build_activity(uris, "Update", organiser, document, [PUBLIC], cc)
        await enqueue_activity(
            session, organiser, activity, to_followers=False, inboxes=list(targets)
        )
        return
    payload = json.loads(waiting.payload)
    payload["object"] = document
    waiting.payload = serialize(payload)
    now = utcnow()
    rows = [
        {"activity_id": waiting.id, "sender_id": organiser.id, "inbox_uri": inbox, "host": host,
         "state": QUEUED, "attempts": 0, "next_attempt_at": now, "created_at": now}
        for inbox, host in await deliverable(session, targets)
    ]  # fmt: skip
    await insert_ignoring_duplicates(session, Delivery, rows, ["activity_id", "inbox_uri"])


async def _untouched_update(
    session: AsyncSession, organiser: Actor, object_uri: str
) -> Activity | None:
    """The latest Update of the object, if no worker has started on any of its deliveries."""
    latest = await session.scalar(
        select(Activity)
        .where(
            Activity.actor_id == organiser.id,
            Activity.type == "Update",
            Activity.object_uri == object_uri,
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
