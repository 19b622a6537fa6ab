"""Offers and requests in the inbox: a remote ``Proposal`` (FEP-0837) kept in the city's
marketplace, refreshed by ``Update`` and removed by ``Delete`` — each only from its author.

The object is read once by :mod:`inbox.classify` (its id on the sender's server, its fields
checked as ours are); an unusable one is dropped with a logged reason, never retried.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from commons.offers.received import drop_remote_offer, keep_remote_offer
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles

log = logging.getLogger(__name__)


@handles("Create", ObjectKind.REMOTE_OFFER)
@handles("Update", ObjectKind.REMOTE_OFFER)
async def on_remote_offer(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    remote = target.remote_offer
    assert remote is not None
    kept = await keep_remote_offer(session, remote)
    if isinstance(kept, str):
        log.info("remote offer %s refused: %s", remote.read.uri, kept)


@handles("Delete", ObjectKind.KNOWN_OFFER)
async def on_delete(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.offer is not None
    if not await drop_remote_offer(session, target.offer, ctx.sender):
        log.info("Delete of offer %s by %s refused", target.offer.uri, ctx.sender.uri)
