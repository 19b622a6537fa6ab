"""Polls in the inbox: a vote in one of ours (``Create{Note{name}}``, as Mastodon votes and our
other servers vote), and the polls of other quartiers (created, updated with their tally,
deleted).

The vote must be the sender's own (its ``attributedTo`` the actor whose HTTP signature was
checked). A vote that cannot count — the poll has closed, a second answer to a poll of one
choice, an answer it does not offer — is dropped with a line in the log, as Mastodon drops
them: its server showed the voter what they could choose.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from commons.polls.received import drop_remote_poll, keep_remote_poll
from commons.polls.votes import receive_vote
from config.errors import DomainError
from federation.vocab import id_of
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles
from storage.models import Actor

log = logging.getLogger(__name__)


@handles("Create", ObjectKind.VOTE_IN_OUR_POLL)
async def on_vote(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    poll, vote = target.poll, target.vote
    assert poll is not None and vote is not None
    note = vote.get("object")
    if not isinstance(note, dict) or id_of(note.get("attributedTo")) != ctx.sender.uri:
        log.info("vote in %s by %s refused: it claims another author", poll.uri, ctx.sender.uri)
        return
    voter = await session.get(Actor, ctx.sender.id) or ctx.sender
    try:
        async with session.begin_nested():
            await receive_vote(session, poll, voter, vote)
    except DomainError as error:
        log.info("vote in %s by %s refused: %s", poll.uri, ctx.sender.uri, error.code)


@handles("Create", ObjectKind.REMOTE_POLL)
@handles("Update", ObjectKind.REMOTE_POLL)
async def on_remote_poll(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """A poll of another quartier (and its new tally, with each Update)."""
    assert target.vote is not None
    kept = await keep_remote_poll(session, ctx.sender, target.vote)
    if isinstance(kept, str):
        log.info("remote poll from %s refused: %s", ctx.sender.uri, kept)


@handles("Delete", ObjectKind.KNOWN_POLL)
async def on_delete(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.poll is not None
    if not await drop_remote_poll(session, target.poll, ctx.sender):
        log.info("Delete of poll %s by %s refused", target.poll.uri, ctx.sender.uri)
