"""Events in the inbox: remote Events kept in our agenda, RSVPs to ours, answers to our Joins,
and comments (replies) under our events.

- ``Create``/``Update`` of an ``Event`` (and an ``Announce`` of one by a relay, read again from
  its own server when not embedded by its author): kept as an Event row under its organiser,
  the ``attributedTo`` when it lives on the event's server (Mobilizon sends a group's events
  from a member), else the sender. An Event we cannot use (no ``startTime``) is dropped with a
  logged reason: never a retry or a 500. Its documents are fetched before the transaction
  (:mod:`inbox.fetches`).
- ``Delete`` of a known event: honoured from its own server only.
- ``Join``/``Leave``/``Undo{Join}`` of one of our events, or of one date of one of our series
  (its id: ``<series>/occurrences/<day>``); ``Accept``/``Reject`` of one of our residents'
  Joins (Mobilizon's Accept object is the Join, or just its id).
- A reply to one of our events (how Mastodon comments) becomes a comment, refused when the
  organiser closed comments.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.received import drop_remote_event, keep_remote_event
from commons.events.rsvps import join_event, leave_event, record_answer
from commons.posts.received import authored_by, receive_post
from config.errors import DomainError
from federation.vocab import first_str
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles

log = logging.getLogger(__name__)


@handles("Create", ObjectKind.REMOTE_EVENT)
@handles("Update", ObjectKind.REMOTE_EVENT)
@handles("Announce", ObjectKind.REMOTE_EVENT)
async def on_remote_event(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    remote = target.remote_event
    assert remote is not None
    kept = await keep_remote_event(session, remote)
    if isinstance(kept, str):
        log.info("remote event %s refused: %s", remote.fields.uri, kept)


@handles("Delete", ObjectKind.KNOWN_EVENT)
async def on_delete(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.event is not None
    if not await drop_remote_event(session, target.event, ctx.sender):
        log.info("Delete of event %s by %s refused", target.event.uri, ctx.sender.uri)


@handles("Create", ObjectKind.REPLY_TO_OUR_EVENT)
async def on_comment(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """A comment when they are open, dropped when closed; the people it mentions and, for a
    collective's event, those who run it, are told."""
    event, note = target.event, target.note
    assert event is not None and note is not None
    if not event.comments_enabled:
        log.info("comment on %s by %s refused: comments are closed", event.uri, ctx.sender.uri)
        return
    if not authored_by(note, ctx.sender):
        log.info("comment %s refused: not by its author", note.id)
        return
    await receive_post(session, note, ctx.sender, None)


@handles("Join", ObjectKind.OUR_EVENT, ObjectKind.OUR_DATE)
async def on_join(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    event = target.event
    assert event is not None
    if target.kind == ObjectKind.OUR_DATE and target.date is None:
        log.info("Join of %s by %s refused: no such date", ctx.activity.object_uri,
                 ctx.sender.uri)  # fmt: skip
        return
    try:
        await join_event(
            session,
            ctx.instance.uris,
            ctx.sender,
            event,
            occurrence=target.date,
            join_uri=ctx.activity.id,
            message=first_str(ctx.activity.raw.get("participationMessage")),
        )
    except DomainError as error:
        log.info("Join of %s by %s refused: %s", ctx.activity.object_uri, ctx.sender.uri,
                 error.code)  # fmt: skip


@handles("Leave", ObjectKind.OUR_EVENT, ObjectKind.OUR_DATE)
@handles("Undo", ObjectKind.OUR_EVENT, ObjectKind.OUR_DATE)
async def on_leave(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    event = target.event
    assert event is not None
    if target.kind == ObjectKind.OUR_DATE and target.date is None:
        return
    await leave_event(session, ctx.instance.uris, ctx.sender, event, occurrence=target.date)


@handles("Accept", ObjectKind.OUR_JOIN)
async def on_accept(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    await _answer(ctx, session, target, accepted=True)


@handles("Reject", ObjectKind.OUR_JOIN)
async def on_reject(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    await _answer(ctx, session, target, accepted=False)


async def _answer(
    ctx: InboxContext, session: AsyncSession, target: Target, *, accepted: bool
) -> None:
    assert target.uri is not None
    if await record_answer(session, ctx.sender, target.uri, accepted=accepted) is None:
        log.info("answer to Join %s by %s ignored: not the organiser", target.uri, ctx.sender.uri)
