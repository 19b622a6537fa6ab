"""Events in the inbox: remote Events kept in our agenda, RSVPs to ours, answers to our Joins,
and comments (replies) under our events.

Each ``on_*`` returns True when the activity was about an event (handled or refused here), so
the dispatcher hands everything else to the post, reaction and group handlers unchanged.

- ``Create``/``Update``/``Delete`` of an ``Event``: kept as an Event row. The organiser is the
  ``attributedTo`` when it lives on the sender's server (Mobilizon sends a group's events from a
  member, ``actor`` ≠ ``attributedTo``), else the sender. An Event we cannot use (no
  ``startTime``) is dropped with a logged reason: a worker-level 4xx, never a retry or a 500.
- ``Announce`` of an Event (Mobilizon and Gancio relays): the embedded copy is trusted only when
  the announcer is its author; otherwise the id is fetched from its own server.
- ``Join``/``Leave``/``Undo{Join}`` of one of our events, or of one date of one of our series
  (its id: ``<series>/occurrences/<day>``); ``Accept``/``Reject`` of one of our residents'
  Joins (Mobilizon's Accept object is the Join, or just its id).
- A reply to one of our events (how Mastodon comments) becomes a comment, refused when the
  organiser closed comments.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.date_rsvps import follow_dates, split_occurrence_uri
from commons.events.date_wire import is_occurrence_document
from commons.events.dates import date_on, refresh_occurrences
from commons.events.rsvps import join_event, leave_event, record_answer
from commons.events.wire import EventShapeError, apply_remote_fields, parse_remote_event
from commons.notifications import notify_reply_and_mentions
from commons.posts.notices import notify_collectives
from commons.posts.remote import store_remote_post
from federation.errors import FetchError, InvalidActivity
from federation.parsing import parse_object
from federation.vocab import as_list, first_str, id_of, same_origin
from inbox.context import InboxContext
from storage.models import Actor, Event, Post, Rsvp, utcnow

log = logging.getLogger(__name__)

RELAY_TYPES = frozenset({"Group", "Application", "Service", "Organization"})


def _is_event(obj: object) -> bool:
    return isinstance(obj, dict) and "Event" in as_list(obj.get("type"))


async def _local_event(session: AsyncSession, uri: str | None) -> Event | None:
    if not uri:
        return None
    return await session.scalar(
        select(Event).where(Event.uri == uri, Event.is_local.is_(True), Event.deleted_at.is_(None))
    )


# Remote events


async def _organiser(ctx: InboxContext, claimed: str | None, event_uri: str) -> Actor | None:
    """``attributedTo`` when it is on the event's own server and resolvable, else the sender."""
    if claimed and claimed != ctx.sender.uri and same_origin(claimed, event_uri):
        found = await ctx.instance.remote_actors.actor(claimed)
        if found is not None and not found.is_local:
            return found
    return ctx.sender if same_origin(ctx.sender.uri, event_uri) else None


async def store_event_document(ctx: InboxContext, data: dict[str, Any]) -> Event | None:
    """Keep (or refresh) a remote Event; None, logged, when it cannot be used.

    One date of a series (an Event with ``superEvent``) is not kept as an event of its own:
    the series is, and its dates are expanded here from its rule.
    """
    if is_occurrence_document(data):
        log.info("date %s of the series %s not kept apart", data.get("id"),
                 id_of(data.get("superEvent")))  # fmt: skip
        return None
    try:
        fields = parse_remote_event(data)
    except EventShapeError as error:
        log.info("remote event %s from %s dropped: %s", data.get("id"), ctx.sender.uri, error.code)
        return None
    organiser = await _organiser(ctx, fields.organiser_uri, fields.uri)
    if organiser is None:
        log.info("remote event %s refused: not from its own server", fields.uri)
        return None
    if fields.dropped:
        log.info("remote event %s kept without %s", fields.uri, ", ".join(fields.dropped))
    async with ctx.instance.database.transaction() as session:
        event = await session.scalar(select(Event).where(Event.uri == fields.uri))
        if event is not None and (event.is_local or not same_origin(event.uri, organiser.uri)):
            log.info("remote event %s refused: it is not theirs", fields.uri)
            return None
        if event is None:
            event = Event(
                uri=fields.uri,
                actor_id=organiser.id,
                is_local=False,
                published=fields.published or utcnow(),
            )
            session.add(event)
        elif event.deleted_at is not None:
            return None
        event.actor_id = organiser.id
        apply_remote_fields(event, fields)
        event.document = dict(data)
        await refresh_occurrences(session, event)
        await follow_dates(session, event)
        return event


async def _fetch_event(ctx: InboxContext, uri: str) -> dict[str, Any] | None:
    """A relayed event we must not trust as embedded: read it from its own server."""
    client = ctx.instance.federation
    if client is None:
        return None
    try:
        document = await client.fetch_document(uri, await ctx.instance.remote_actors.signer())
    except (FetchError, InvalidActivity) as error:
        log.info("cannot fetch announced object %s: %s", uri, error)
        return None
    data = document.data
    if not same_origin(id_of(data.get("id")), document.url):
        log.info("announced object %s served from another origin", uri)
        return None
    return data if _is_event(data) else None


async def _store_fetched(ctx: InboxContext, data: dict[str, Any]) -> None:
    claimed = id_of(data.get("attributedTo")) or id_of(data.get("actor"))
    event_uri = id_of(data.get("id"))
    if not claimed or not event_uri or not same_origin(claimed, event_uri):
        log.info("announced event %s has no organiser on its server", event_uri)
        return
    organiser = await ctx.instance.remote_actors.actor(claimed)
    if organiser is None or organiser.is_local:
        return
    await store_event_document(InboxContext(ctx.instance, ctx.activity, organiser, None), data)


async def on_announce(ctx: InboxContext) -> bool:
    obj = ctx.activity.object
    inner = obj.get("object") if obj is not None and "Create" in as_list(obj.get("type")) else obj
    if _is_event(inner):
        assert isinstance(inner, dict)
        author = id_of(inner.get("attributedTo"))
        if author == ctx.sender.uri and same_origin(id_of(inner.get("id")), ctx.sender.uri):
            await store_event_document(ctx, inner)
            return True
        uri = id_of(inner.get("id"))
        data = await _fetch_event(ctx, uri) if uri else None
        if data is not None:
            await _store_fetched(ctx, data)
        return True
    uri = ctx.activity.object_uri if obj is None else None
    if not uri:
        return False
    async with ctx.instance.database.session() as session:
        if await session.scalar(select(Event.id).where(Event.uri == uri)) is not None:
            return True
        if await session.scalar(select(Post.id).where(Post.uri == uri)) is not None:
            return False
    if ctx.sender.type not in RELAY_TYPES:
        return False
    data = await _fetch_event(ctx, uri)
    if data is None:
        return False
    await _store_fetched(ctx, data)
    return True


async def on_create(ctx: InboxContext) -> bool:
    obj = ctx.activity.object
    if _is_event(obj):
        assert obj is not None
        if same_origin(id_of(obj.get("id")), ctx.sender.uri):
            await store_event_document(ctx, obj)
        else:
            log.info(
                "Create of event %s by %s refused: another server", obj.get("id"), ctx.sender.uri
            )
        return True
    if obj is None:
        return False
    return await _on_comment(ctx, obj)


async def on_update(ctx: InboxContext) -> bool:
    obj = ctx.activity.object
    if not _is_event(obj):
        return False
    assert obj is not None
    if same_origin(id_of(obj.get("id")), ctx.sender.uri):
        await store_event_document(ctx, obj)
    return True


async def on_delete(ctx: InboxContext) -> bool:
    target = ctx.activity.object_uri
    if not target:
        return False
    async with ctx.instance.database.transaction() as session:
        event = await session.scalar(select(Event).where(Event.uri == target))
        if event is None:
            return False
        if event.is_local or not same_origin(event.uri, ctx.sender.uri):
            log.info("Delete of event %s by %s refused", target, ctx.sender.uri)
            return True
        event.deleted_at = event.deleted_at or utcnow()
        event.document = None
        await refresh_occurrences(session, event)
    return True


# Comments


async def _on_comment(ctx: InboxContext, data: dict[str, Any]) -> bool:
    """A reply to one of our events: a comment when they are open, dropped when closed; the
    people it mentions and, for a collective's event, those who run it, are told."""
    in_reply_to = id_of(data.get("inReplyTo"))
    if not in_reply_to:
        return False
    async with ctx.instance.database.session() as session:
        event = await _local_event(session, in_reply_to)
    if event is None:
        return False
    if not event.comments_enabled:
        log.info("comment on %s by %s refused: comments are closed", event.uri, ctx.sender.uri)
        return True
    try:
        obj = parse_object(data)
    except InvalidActivity as error:
        log.info("unusable comment in %s: %s", ctx.activity.id, error)
        return True
    author = obj.attributed_to or ctx.sender.uri
    if obj.id is None or author != ctx.sender.uri or not same_origin(obj.id, ctx.sender.uri):
        log.info("comment %s refused: not by its author", obj.id)
        return True
    async with ctx.instance.database.transaction() as session:
        if await session.scalar(select(Post.id).where(Post.uri == obj.id)) is None:
            post = await store_remote_post(session, obj, ctx.sender, None)
            await notify_reply_and_mentions(session, post)
            await notify_collectives(session, post)
    return True


# Taking part


async def _joined(
    session: AsyncSession, uri: str | None
) -> tuple[Event | None, datetime | None, bool]:
    """The local event a Join or Leave is about, and the date when it names one of a series:
    ``(event, start, known)``; ``known`` is False when ``uri`` is none of ours."""
    event = await _local_event(session, uri)
    if event is not None:
        return event, None, True
    named = split_occurrence_uri(uri)
    if named is None:
        return None, None, False
    event = await _local_event(session, named[0])
    if event is None:
        return None, None, False
    found = await date_on(session, event, named[1]) if event.rrule else None
    return (event, found.start, True) if found is not None else (None, None, True)


async def on_join(ctx: InboxContext) -> bool:
    message = first_str(ctx.activity.raw.get("participationMessage"))
    target = ctx.activity.object_uri
    async with ctx.instance.database.transaction() as session:
        event, occurrence, known = await _joined(session, target)
        if event is None:
            if known:
                log.info("Join of %s by %s refused: no such date", target, ctx.sender.uri)
            return known
        try:
            await join_event(
                session,
                ctx.instance.uris,
                ctx.sender,
                event,
                occurrence=occurrence,
                join_uri=ctx.activity.id,
                message=message,
            )
        except ValueError as error:
            log.info("Join of %s by %s refused: %s", target, ctx.sender.uri, error)
    return True


async def _leave(ctx: InboxContext, target: str | None) -> bool:
    async with ctx.instance.database.transaction() as session:
        event, occurrence, known = await _joined(session, target)
        if event is None:
            return known
        await leave_event(session, ctx.instance.uris, ctx.sender, event, occurrence=occurrence)
    return True


async def on_leave(ctx: InboxContext) -> bool:
    return await _leave(ctx, ctx.activity.object_uri)


async def on_undo_join(ctx: InboxContext) -> bool:
    inner = ctx.activity.object or {}
    return await _leave(ctx, id_of(inner.get("object")))


async def _answer(ctx: InboxContext, *, accepted: bool) -> bool:
    obj = ctx.activity.object
    if obj is not None and "Join" not in as_list(obj.get("type")):
        return False
    join_uri = ctx.activity.object_uri
    if not join_uri:
        return False
    async with ctx.instance.database.transaction() as session:
        if await session.scalar(select(Rsvp.id).where(Rsvp.uri == join_uri)) is None:
            return False
        rsvp = await record_answer(session, ctx.sender, join_uri, accepted=accepted)
        if rsvp is None:
            log.info("answer to Join %s by %s ignored: not the organiser", join_uri, ctx.sender.uri)
    return True


async def on_accept(ctx: InboxContext) -> bool:
    return await _answer(ctx, accepted=True)


async def on_reject(ctx: InboxContext) -> bool:
    return await _answer(ctx, accepted=False)
