"""The fast path of a batch: its plain ``Create(Note)``s kept together, in a few statements.

Most of a busy inbox is public notes by people of other servers, which concern nothing of
ours. For each of them the reference path (:func:`inbox.dispatch.apply`: classify, then
:func:`inbox.handlers.notes.on_create`) reads and writes a dozen times; here the plain ones of a
batch are classified with one query for all and kept by
:func:`commons.posts.received_batch.receive_posts`.

An item is plain when the reference would surely hand it to ``on_create`` as a
``REMOTE_NOTE`` and that handler would keep it: a ``Create`` whose embedded object parses, has
an id, is a post type and not an event or an offer (a ``Proposal``), needed nothing fetched, is
attributed to its sender and lives on the sender's server
(:func:`commons.posts.received.authored_by`), answers no event or offer of ours, and names no
collective of ours. Anything else — and what ``receive_posts`` declines
(a post that tells someone), and every item of a batch whose fast path fails — is left to
the reference, one by one, in the batch's order. A sender's items take the fast path only
while they are plain from its first item of the batch on: its first item that is not plain,
and every one after it, go the reference's way after them, so a sender's activities are still
applied in the order they arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.offers.wire import is_offer
from commons.petitions.received import is_petition
from commons.petitions.wire import is_vote
from commons.polls.wire import is_poll
from commons.posts.received import authored_by
from commons.posts.received_batch import Outcome, ReceivedPost, receive_posts
from commons.posts.remote import POST_TYPES
from federation.errors import InvalidActivity
from federation.parsing import ParsedObject, parse_object
from inbox.addressed_groups import group_candidates, groups_among, pick_groups
from inbox.context import InboxContext
from inbox.fetches import Fetched, is_event
from storage.among import among
from storage.models import Offer

log = logging.getLogger(__name__)

Item = tuple[InboxContext, Fetched]


async def apply_plain_creates(session: AsyncSession, items: Sequence[Item]) -> list[int]:
    """Keep the plain ``Create(Note)``s of ``items`` in ``session`` (in a savepoint of their
    own); returns the indexes of the items left to apply one by one, in order.

    The fast path is only a shortcut to what the reference does: should it fail (a row
    another worker inserted meanwhile, a database error), its savepoint is rolled back and
    all its items are left to the reference, which records each one's own outcome.
    """
    plain = _plain_notes(items)
    if len(plain) < 2:
        return list(range(len(items)))
    try:
        async with session.begin_nested():
            taken = await _keep(session, items, plain)
    except Exception:
        log.exception("keeping %s received notes at once failed; one by one", len(plain))
        taken = set()
    return [index for index in range(len(items)) if index not in taken]


def _plain_notes(items: Sequence[Item]) -> dict[int, ParsedObject]:
    """index → note of the items that may take the fast path: each sender's plain items up to
    its first that is not."""
    found: dict[int, ParsedObject] = {}
    stopped: set[str] = set()
    for index, (ctx, fetched) in enumerate(items):
        sender = ctx.sender.uri
        if sender in stopped:
            continue
        note = _plain_note(ctx, fetched)
        if note is None:
            stopped.add(sender)
        else:
            found[index] = note
    return found


def _plain_note(ctx: InboxContext, fetched: Fetched) -> ParsedObject | None:
    activity = ctx.activity
    if activity.type != "Create" or fetched != Fetched():
        return None
    data = activity.object
    if data is None or is_event(data) or is_offer(data) or is_vote(data):
        return None
    if is_petition(data) or is_poll(data):
        return None
    try:
        note = parse_object(data)
    except InvalidActivity:
        return None
    if note.id is None or note.type not in POST_TYPES or not authored_by(note, ctx.sender):
        return None
    return note


async def _keep(
    session: AsyncSession, items: Sequence[Item], plain: dict[int, ParsedObject]
) -> set[int]:
    """Classify the plain notes together and keep those that stay plain; their indexes."""
    # A reply to one of our offers may be an answer to it: the reference reads it. A reply to
    # a post, an event or a date of ours is declined by ``receive_posts`` (it tells someone).
    offers_answered = {
        note.in_reply_to
        for note in plain.values()
        if note.in_reply_to and "/offers/" in note.in_reply_to
    }
    our_offers = (
        set(
            await session.scalars(
                select(Offer.uri).where(among(Offer.uri, offers_answered), Offer.is_local.is_(True))
            )
        )
        if offers_answered
        else set()
    )
    candidates = {uri for note in plain.values() for uri in group_candidates(note)}
    groups = list(await session.scalars(groups_among(candidates))) if candidates else []
    received: dict[int, ReceivedPost] = {}
    for index, note in plain.items():
        if note.in_reply_to in our_offers:
            continue
        ours, audience = pick_groups(note, groups)
        if ours is None:
            received[index] = ReceivedPost(note, items[index][0].sender, audience)
    outcomes = await receive_posts(session, list(received.values()), neighbour=True)
    return {
        index
        for index, outcome in zip(received, outcomes, strict=True)
        if outcome is not Outcome.DECLINED
    }
