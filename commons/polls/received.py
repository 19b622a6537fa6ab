"""Polls other quartiers' servers send: kept so our residents read them and vote here (their
vote goes to the poll's own server), refreshed by each ``Update`` — the tally comes with it —
and removed by ``Delete``, each only from the collective that holds it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.polls.notices import tell_voters_of_close
from commons.polls.wire import read_remote_poll, status_of
from federation.vocab import same_origin
from storage.models import Actor, Poll, PollOption, utcnow
from storage.models.polls import CLOSED


async def keep_remote_poll(
    session: AsyncSession, author: Actor, data: dict[str, Any]
) -> Poll | str:
    """Insert or refresh it; a refusal reason when it is not the sender's or cannot be read."""
    read = read_remote_poll(data)
    if isinstance(read, str):
        return read
    if read.attributed_to != author.uri or not same_origin(read.uri, author.uri):
        return "it is not theirs"
    poll = await session.scalar(select(Poll).where(Poll.uri == read.uri))
    if poll is not None and (poll.is_local or poll.actor_id != author.id):
        return "it is not theirs"
    if poll is None:
        poll = Poll(uri=read.uri, actor_id=author.id, is_local=False,
                    published=read.published or utcnow())  # fmt: skip
        session.add(poll)
    elif poll.deleted_at is not None:
        return "it was deleted"
    elif poll.updated is not None and read.updated is not None and read.updated < poll.updated:
        return "an older version"
    for name in ("question", "text_source", "text_html", "multiple", "results_hidden",
                 "may_vote", "deadline", "updated", "closed_at"):  # fmt: skip
        setattr(poll, name, getattr(read, name))
    closes_now = poll.status != CLOSED and status_of(read, utcnow()) == CLOSED
    poll.status = status_of(read, utcnow())
    poll.url = read.url or read.uri
    poll.voters_count = read.voters
    poll.document = dict(data)
    await session.flush()
    await _keep_options(session, poll, read.options)
    if closes_now and poll.id is not None:
        await tell_voters_of_close(session, poll)
    return poll


async def _keep_options(session: AsyncSession, poll: Poll, options: Any) -> None:
    kept = {
        option.position: option
        for option in await session.scalars(select(PollOption).where(PollOption.poll_id == poll.id))
    }
    if [kept[p].name for p in sorted(kept)] != [option.name for option in options]:
        await session.execute(delete(PollOption).where(PollOption.poll_id == poll.id))
        kept = {}
    for position, option in enumerate(options):
        row = kept.get(position)
        if row is None:
            row = PollOption(poll_id=poll.id, position=position, name=option.name, votes_count=0)
            session.add(row)
        row.votes_count = option.votes or 0  # none sent: hidden until the close


async def drop_remote_poll(session: AsyncSession, poll: Poll, sender: Actor) -> bool:
    if poll.is_local or poll.actor_id != sender.id:
        return False
    poll.deleted_at = utcnow()
    return True
