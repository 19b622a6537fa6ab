"""Supports of our proposals in the inbox: a ``Like`` (a favourite on Mastodon) counts once per
person; its ``Undo`` takes it back. A Like that cannot count (the proposal has its answer, or
the person already supports it) is dropped with a line in the log."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from commons.proposals.received import receive_like, receive_unlike
from federation.vocab import first_str
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles
from storage.models import Actor

log = logging.getLogger(__name__)


@handles("Like", ObjectKind.OUR_PROPOSAL)
async def on_support(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.proposal is not None
    sender = await session.get(Actor, ctx.sender.id) or ctx.sender
    refused = await receive_like(session, target.proposal, sender,
                                 first_str(ctx.activity.raw.get("id")))  # fmt: skip
    if refused:
        log.info("support of %s by %s not counted: %s", target.proposal.uri, sender.uri, refused)


@handles("Undo", ObjectKind.OUR_PROPOSAL)
async def on_support_undone(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.proposal is not None
    await receive_unlike(session, target.proposal, ctx.sender, ctx.activity.object_uri)
