"""Creating, changing, postponing and cancelling events: the services the web UI and demo share.

An event is organised by a resident (for themself) or by a collective (by its admins and
facilitators). Every change goes to the organiser's followers and to remote participants as
``Create``/``Update``/``Delete`` of the Event. Some changes are also told in a short public
Note that links the event and mentions nobody (see :func:`needs_notice` for which, and why).

What a person types is checked in :mod:`commons.events.fields`, who may organise is decided in
:mod:`commons.events.organisers`; their names are importable from here as well.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.date_rsvps import busiest_count, follow_dates
from commons.events.date_wire import with_date_ids
from commons.events.dates import refresh_occurrences
from commons.events.fields import MAX_CAPACITY as MAX_CAPACITY
from commons.events.fields import MAX_TITLE as MAX_TITLE
from commons.events.fields import EventFields as EventFields
from commons.events.fields import apply_fields, check_fields
from commons.events.fields import fields_of as fields_of
from commons.events.organisers import NotOrganiser as NotOrganiser
from commons.events.organisers import may_organise as may_organise
from commons.events.organisers import organisers_for as organisers_for
from commons.events.organisers import require_organiser as require_organiser
from commons.events.recurrence import Occurrence, next_occurrences
from commons.events.wire import build_event, build_event_tombstone, exdates_of
from commons.events.words import french_when, place_line
from commons.media import media_path
from commons.posts.services import publish_note
from commons.shares.services import offer_local_publication
from config.errors import ErrorCode, Gone
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from outbox.recipients import actor_inboxes
from storage.models import Actor, Event, Media, Post, Rsvp, utcnow
from storage.models.events import CANCELLED, CONFIRMED, RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST


def new_event_uri(uris: Uris) -> str:
    return f"{uris.base}/events/{uuid.uuid4()}"


# Reading


def upcoming_of(event: Event, now: datetime | None = None, count: int = 3) -> list[Occurrence]:
    return next_occurrences(
        event.rrule,
        event.start_time,
        event.end_time,
        event.timezone,
        now=now or utcnow(),
        count=count,
        exdates=exdates_of(event),
    )


async def count_participants(session: AsyncSession, event: Event) -> int:
    """Those who take part in the event as a whole (every date of a series)."""
    count = await session.scalar(
        select(func.count())
        .select_from(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.state == RSVP_ACCEPTED, Rsvp.occurrence.is_(None))
    )
    return count or 0


async def participant_actors(
    session: AsyncSession, event: Event, states: Sequence[str] = (RSVP_ACCEPTED,)
) -> list[Actor]:
    rows = await session.scalars(
        select(Actor)
        .join(Rsvp, Rsvp.actor_id == Actor.id)
        .where(Rsvp.event_id == event.id, Rsvp.state.in_(states))
        .order_by(Rsvp.created_at, Rsvp.id)
    )
    return list(rows)


async def participant_inboxes(session: AsyncSession, event: Event) -> list[str]:
    """Remote people who asked to take part hear of every change (the waiting list too)."""
    states = (RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST)
    return actor_inboxes(await participant_actors(session, event, states))


def event_document(event: Event, organiser: Actor, *, with_context: bool = True) -> dict[str, Any]:
    document = build_event(event, organiser, upcoming=upcoming_of(event), with_context=with_context)
    return with_date_ids(document, event)


# Sending


async def send_event(
    session: AsyncSession, uris: Uris, organiser: Actor, event: Event, kind: str
) -> dict[str, Any]:
    """``Create``/``Update`` (the Event) or ``Delete`` (a Tombstone) to followers and participants."""
    obj = (
        build_event_tombstone(event)
        if kind == "Delete"
        else event_document(event, organiser, with_context=False)
    )
    cc = [organiser.followers_uri] if organiser.followers_uri else []
    activity = build_activity(uris, kind, organiser, obj, [PUBLIC], cc)
    await enqueue_activity(
        session, organiser, activity, inboxes=await participant_inboxes(session, event)
    )
    return activity


@dataclass(frozen=True, slots=True)
class Moment:
    """What a participant plans by: when the event (for a series, its next date) begins, and
    where. Compared before and after a change to decide whether a Note is needed."""

    start: datetime
    place: tuple[str | None, ...]


def moment_of(event: Event) -> Moment:
    upcoming = upcoming_of(event, count=1) if event.rrule else []
    start = upcoming[0].start if upcoming else event.start_time
    place = (event.place_name, event.street_address, event.locality, event.online_url)
    return Moment(start, place)


def needs_notice(before: Moment, after: Moment, *, cancelled: bool = False) -> bool:
    """Whether a change is also told in a short public Note, beside the ``Update`` of the Event.

    Mastodon shows an Event as its name, summary and link. Before 4.5.0 it ignored every
    ``Update`` of an Event, and servers that old still federate; since 4.5.0 (#36322) the
    Update is applied, but as a quiet edit of a post people have already scrolled past (only
    those who boosted it are told). Our servers and Mobilizon apply the Update and show the
    event as it is now. So the Note is kept only where a missed change costs someone a trip:
    a cancellation, a new start (postponed or brought forward; for a series, its next date),
    a new place or link. A new title, description, end time, capacity or image, or later dates
    of a series that leave the next one where it was, go by ``Update`` alone, rather than
    adding a post to every follower's timeline for each of them.
    """
    return cancelled or before.start != after.start or before.place != after.place


def change_text(event: Event, before: Moment, after: Moment) -> str:
    """``Changement : Repair Café reporté au samedi 12 décembre 2026, 10:00–16:00 — <url>``."""
    url = event.url or event.uri
    if event.status == CANCELLED:
        return f"Annulé : {event.title}, {_when(event).lower()} — <{url}>"
    pieces = []
    if before.start != after.start:
        moved = "reporté au" if after.start > before.start else "avancé au"
        pieces.append(f"{moved} {_when(event)[:1].lower()}{_when(event)[1:]}")
    if before.place != after.place:
        pieces.append(f"nouveau lieu : {place_line(event)}")
    return f"Changement : {event.title} {', '.join(pieces)} — <{url}>"


def _when(event: Event) -> str:
    zone = ZoneInfo(event.timezone)
    upcoming = upcoming_of(event, count=1) if event.rrule else []
    if upcoming:
        return french_when(upcoming[0].start, upcoming[0].end, zone)
    return french_when(event.start_time, event.end_time, zone)


async def announce_change(
    session: AsyncSession, uris: Uris, organiser: Actor, event: Event, text: str
) -> Post:
    """The short Note every server shows as a new post (see :func:`needs_notice`)."""
    return await publish_note(
        session,
        uris,
        organiser,
        text.replace("@", "@\u200b"),  # a title must not turn into a mention
        audience=organiser if organiser.is_group else None,
        inboxes=await participant_inboxes(session, event),
    )


# The services


async def create_event(
    session: AsyncSession,
    uris: Uris,
    author: Actor,
    organiser: Actor,
    fields: EventFields,
    *,
    image: Media | None = None,
) -> Event:
    """Write a new event of ``organiser`` (checked: ``author`` may act for it) and send it."""
    if not await may_organise(session, author, organiser):
        raise NotOrganiser()
    checked = check_fields(fields)
    uri = new_event_uri(uris)
    event = Event(
        uri=uri,
        url=uri,
        actor_id=organiser.id,
        created_by_id=author.id,
        is_local=True,
        status=CONFIRMED,
        participant_count=0,
        published=utcnow(),
    )
    apply_fields(event, checked)
    _apply_image(event, image, uris)
    session.add(event)
    await refresh_occurrences(session, event)
    await send_event(session, uris, organiser, event, "Create")
    await offer_local_publication(session, uris, organiser, event.uri)
    return event


def _apply_image(event: Event, image: Media | None, uris: Uris) -> None:
    if image is not None:
        event.image_url = uris.base + media_path(image)
        event.image_alt = image.alt_text


async def edit_event(
    session: AsyncSession,
    uris: Uris,
    author: Actor,
    event: Event,
    fields: EventFields,
    *,
    image: Media | None = None,
    remove_image: bool = False,
) -> Event:
    """Change an event; a new start or place is also told in a short Note (see
    :func:`needs_notice`)."""
    organiser = await require_organiser(session, author, event)
    if event.status == CANCELLED or event.deleted_at is not None:
        raise Gone(ErrorCode.CANCELLED)
    checked = check_fields(fields, participants=await busiest_count(session, event))
    before = moment_of(event)
    apply_fields(event, checked)
    if remove_image:
        event.image_url = event.image_alt = None
    _apply_image(event, image, uris)
    event.updated = utcnow()
    await refresh_occurrences(session, event)
    await follow_dates(session, event)
    after = moment_of(event)
    await send_event(session, uris, organiser, event, "Update")
    if needs_notice(before, after):
        await announce_change(session, uris, organiser, event, change_text(event, before, after))
    return event


async def postpone_event(
    session: AsyncSession,
    uris: Uris,
    author: Actor,
    event: Event,
    start: datetime,
    end: datetime | None,
) -> Event:
    """New dates, everything else kept; the duration follows if no end is given."""
    if end is None and event.end_time is not None:
        end = start + (event.end_time - event.start_time)
    return await edit_event(
        session, uris, author, event, replace(fields_of(event), start=start, end=end)
    )


async def cancel_event(session: AsyncSession, uris: Uris, author: Actor, event: Event) -> Event:
    """Mark it cancelled (as Mobilizon: ``Update`` with ``CANCELLED``) and say so in a Note."""
    organiser = await require_organiser(session, author, event)
    if event.status == CANCELLED:
        return event
    moment = moment_of(event)
    event.status = CANCELLED
    event.updated = utcnow()
    await session.flush()
    await send_event(session, uris, organiser, event, "Update")
    if needs_notice(moment, moment, cancelled=True):
        await announce_change(session, uris, organiser, event, change_text(event, moment, moment))
    return event


async def delete_event(session: AsyncSession, uris: Uris, author: Actor, event: Event) -> Event:
    """Remove it for good: the row stays as a tombstone and everyone receives ``Delete``."""
    organiser = await require_organiser(session, author, event)
    event.deleted_at = utcnow()
    await refresh_occurrences(session, event)
    await send_event(session, uris, organiser, event, "Delete")
    return event


async def find_event(session: AsyncSession, uri: str) -> Event | None:
    return await session.scalar(select(Event).where(Event.uri == uri))
