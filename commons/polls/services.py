"""Holding a poll, sending it, and closing it.

A facilitator of a collective (an assembly, or any collective) asks a question with 2 to 10
answers, one choice or several, until a moment of their choosing; it is published at once —
``Create(Question)`` to the collective's followers. Its tally reaches them (and every remote
voter) in batches (:mod:`commons.polls.worker`), and the final one when it closes.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.organisers import NotOrganiser, may_organise, organiser_of
from commons.markdown import render_markdown
from commons.polls.fields import PollFields, check_fields
from commons.polls.notices import tell_voters_of_close
from commons.polls.queries import answers_of
from commons.polls.vocabulary import POLL_CONTEXT
from commons.polls.wire import build_poll
from config.errors import Conflict, ErrorCode
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from outbox.recipients import remote_inboxes_of
from storage.models import Actor, Poll, PollOption, PollVote, utcnow
from storage.models.polls import CLOSED, OPEN


async def voter_inboxes(session: AsyncSession, poll: Poll) -> list[str]:
    """The inboxes of the remote voters (shared inboxes once each): each ``Update`` of the
    tally reaches them, as Mastodon sends its own polls' updates to every voter."""
    return await remote_inboxes_of(
        session, select(PollVote.voter_id).where(PollVote.poll_id == poll.id)
    )


async def send_poll(session: AsyncSession, uris: Uris, poll: Poll, kind: str) -> dict[str, Any]:
    """``Create``, ``Update`` or ``Delete`` of the Question to the followers (and, after
    the first, to every remote voter)."""
    with session.no_autoflush:
        author = await session.get(Actor, poll.actor_id)
        options = await answers_of(session, poll)
        inboxes = await voter_inboxes(session, poll) if kind != "Create" else []
    assert author is not None
    cc = [author.followers_uri] if author.followers_uri else []
    document = build_poll(poll, options, author)
    if kind == "Delete":
        document = {"id": poll.uri, "type": "Tombstone", "formerType": "Question"}
    activity = build_activity(uris, kind, author, document, [PUBLIC], cc)
    activity["@context"] = [*activity["@context"], POLL_CONTEXT]
    await enqueue_activity(session, author, activity, inboxes=inboxes)
    poll.sent_changes = poll.changes
    return activity


async def hold_poll(
    session: AsyncSession, uris: Uris, person: Actor, collective: Actor, fields: PollFields
) -> Poll:
    """``person``, a facilitator of ``collective``, asks it a question: published at once."""
    if not collective.is_group or not await may_organise(session, person, collective):
        raise NotOrganiser()
    checked = check_fields(fields)
    assert checked.deadline is not None
    uri = f"{uris.base}/polls/{uuid.uuid4()}"
    poll = Poll(
        uri=uri, url=uri, actor_id=collective.id, created_by_id=person.id, is_local=True,
        question=checked.question, text_source=checked.text,
        text_html=render_markdown(checked.text) if checked.text else "",
        multiple=checked.multiple, results_hidden=checked.results_hidden,
        may_vote=checked.may_vote, deadline=checked.deadline, status=OPEN, published=utcnow(),
    )  # fmt: skip
    session.add(poll)
    await session.flush()
    for position, name in enumerate(checked.options):
        session.add(PollOption(poll_id=poll.id, position=position, name=name, votes_count=0))
    await session.flush()
    await send_poll(session, uris, poll, "Create")
    return poll


async def close_poll(session: AsyncSession, uris: Uris, poll: Poll) -> None:
    """Close it now (its deadline passed, or a facilitator ends it early): the final tally,
    results included, goes to the followers and every remote voter."""
    if poll.status == CLOSED:
        raise Conflict(ErrorCode.POLL_CLOSED)
    now = utcnow()
    poll.status = CLOSED
    poll.closed_at = now
    poll.updated = now
    await send_poll(session, uris, poll, "Update")
    await tell_voters_of_close(session, poll)


async def end_poll_early(session: AsyncSession, uris: Uris, person: Actor, poll: Poll) -> None:
    await organiser_of(session, person, poll.actor_id, is_local=poll.is_local)
    await close_poll(session, uris, poll)


async def delete_poll(session: AsyncSession, uris: Uris, person: Actor, poll: Poll) -> None:
    """A facilitator removes it: ``Delete`` to everyone who had it."""
    await organiser_of(session, person, poll.actor_id, is_local=poll.is_local)
    poll.deleted_at = utcnow()
    await send_poll(session, uris, poll, "Delete")
