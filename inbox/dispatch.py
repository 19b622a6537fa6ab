"""From a received activity to the one handler that applies it, in one transaction.

1. :func:`prepare` (:func:`inbox.fetches.fetch_ahead`) reads from other servers what the activity needs (an
   organiser, a relayed event, a boosted post), before any transaction opens;
2. one transaction opens; :func:`inbox.classify.classify` resolves once what the object is to
   us (our event, our date, our group, a remote note, an actor…);
3. the table :data:`inbox.registry.HANDLERS` gives the handler of (activity type, object kind),
   which checks and applies in that same transaction, through the owning package's services;
4. what a remote collective shares (or stops sharing) is noted, whoever handled it
   (:mod:`inbox.collective_shares`).

The worker runs the items of several senders in one transaction, each in a savepoint of its
own (:mod:`inbox.batches`): one commit for many items, and one item's failure undoes only it.

An activity type we do not act on, or a pair nobody handles, is ignored with its reason
(logged): accepted, never retried, never an error.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.classify import classify
from inbox.collective_shares import note_collective_activity
from inbox.context import InboxContext
from inbox.fetches import Fetched, fetch_ahead
from inbox.handlers import (
    actors,
    events,
    following,
    groups,
    notes,
    offers,
    petitions,
    polls,
    proposals,
    reactions,
    reports,
)
from inbox.kinds import ObjectKind
from inbox.registry import HANDLERS, Handler

log = logging.getLogger(__name__)

HANDLER_MODULES = (
    actors, events, following, groups, notes, offers, petitions, polls, proposals, reactions,
    reports,
)  # fmt: skip

ACCEPTED_TYPES = frozenset(
    {
        "Follow",
        "Offer",
        "Accept",
        "Reject",
        "Undo",
        "Create",
        "Update",
        "Delete",
        "Like",
        "Announce",
        "Join",
        "Leave",
        "Flag",
    }
)


def handler_for(activity_type: str, kind: ObjectKind) -> Handler | None:
    return HANDLERS.get((activity_type, kind))


async def dispatch(ctx: InboxContext) -> None:
    """Apply one received activity in a transaction of its own."""
    fetched = await prepare(ctx)
    if fetched is None:
        return
    async with ctx.instance.database.transaction() as session:
        await apply(session, ctx, fetched)


async def prepare(ctx: InboxContext) -> Fetched | None:
    """What must be had before the transaction; None for a type we do not act on (logged)."""
    activity = ctx.activity
    if activity.type not in ACCEPTED_TYPES:
        log.info("%s %s ignored: not an activity we act on", activity.type, activity.id)
        return None
    return await fetch_ahead(ctx)


async def apply(session: AsyncSession, ctx: InboxContext, fetched: Fetched) -> None:
    """Classify, look the handler up, and let it check and apply, all in ``session``."""
    activity = ctx.activity
    target = await classify(session, ctx, fetched)
    handler = handler_for(activity.type, target.kind)
    if handler is None:
        reason = target.reason or f"nothing to do for {target.kind}"
        log.info("%s %s by %s ignored: %s", activity.type, activity.id, ctx.sender.uri, reason)
    else:
        await handler(ctx, session, target)
    await note_collective_activity(session, ctx)
