"""Votes on our petitions in the inbox: a signature (``Create{Note{name}}``, as Mastodon votes
and our other servers sign), or its withdrawal (``Undo``).

The vote must be the sender's own (its ``attributedTo`` the actor whose HTTP signature was
checked): a vote claiming to be someone else's is refused. A refused vote is answered with a
``Reject`` that says why in French; Mastodon ignores it, our servers show it to the resident.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from commons.petitions.refusals import refuse_vote
from commons.petitions.signatures import VoteCheck, receive_vote, receive_withdrawal
from config.errors import DomainError
from federation.vocab import id_of
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles
from storage.models import utcnow

log = logging.getLogger(__name__)


def _own_vote(ctx: InboxContext, vote: dict[str, Any]) -> bool:
    note = vote.get("object")
    return (
        isinstance(note, dict)
        and id_of(note.get("attributedTo")) == ctx.sender.uri
        and id_of(vote.get("actor")) in (None, ctx.sender.uri)
    )


@handles("Create", ObjectKind.VOTE_ON_OUR_PETITION)
async def on_vote(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    petition, vote = target.petition, target.vote
    assert petition is not None and vote is not None
    if not _own_vote(ctx, vote):
        log.info("vote on %s by %s refused: it claims another author", petition.uri,
                 ctx.sender.uri)  # fmt: skip
        return
    check = VoteCheck(key_id=ctx.sender.public_key_id, verified_at=utcnow())
    try:
        async with session.begin_nested():
            await receive_vote(session, petition, ctx.sender, vote, check)
    except DomainError as error:
        log.info("vote on %s by %s refused: %s", petition.uri, ctx.sender.uri, error.code)
        await refuse_vote(session, ctx.instance.uris, petition, ctx.sender, vote, error)


@handles("Undo", ObjectKind.VOTE_ON_OUR_PETITION)
async def on_withdrawal(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    petition, vote = target.petition, target.vote
    assert petition is not None and vote is not None
    if not _own_vote(ctx, vote):
        log.info("withdrawal on %s by %s refused: not their vote", petition.uri, ctx.sender.uri)
        return
    if not await receive_withdrawal(session, petition, ctx.sender):
        log.info("withdrawal on %s by %s: nothing to withdraw", petition.uri, ctx.sender.uri)
