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

from commons.petitions.received import drop_remote_petition, keep_remote_petition
from commons.petitions.refusals import refuse_vote
from commons.petitions.signatures import VoteCheck, receive_vote, receive_withdrawal
from config.errors import DomainError
from federation.vocab import first_str, id_of
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles
from storage.models import Actor, Petition, utcnow

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
    voter = await session.get(Actor, ctx.sender.id, populate_existing=True) or ctx.sender
    try:
        async with session.begin_nested():
            await receive_vote(session, petition, voter, vote, check)
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


@handles("Create", ObjectKind.REMOTE_PETITION)
@handles("Update", ObjectKind.REMOTE_PETITION)
async def on_remote_petition(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """A petition of another quartier (and its new tally, with each Update)."""
    assert target.vote is not None
    kept = await keep_remote_petition(session, ctx.sender, target.vote)
    if isinstance(kept, str):
        log.info("remote petition from %s refused: %s", ctx.sender.uri, kept)


@handles("Delete", ObjectKind.KNOWN_PETITION)
async def on_delete(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.petition is not None
    if not await drop_remote_petition(session, target.petition, ctx.sender):
        log.info("Delete of petition %s by %s refused", target.petition.uri, ctx.sender.uri)


@handles("Reject", ObjectKind.OUR_VOTE)
async def on_vote_refused(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """The petition's server did not count one of our residents' signatures: it is taken back
    here too, with the reason it gave."""
    signature = target.signature
    assert signature is not None
    petition = await session.get(Petition, signature.petition_id)
    if petition is None or petition.actor_id != ctx.sender.id or signature.withdrawn_at:
        return
    signature.withdrawn_at = utcnow()
    reason = first_str(ctx.activity.raw.get("content")) or ""
    signature.verification = {**(signature.verification or {}), "refused": reason[:500]}
