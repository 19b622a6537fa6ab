"""Offers and requests in the inbox: a remote ``Proposal`` (FEP-0837) kept in the city's
marketplace, refreshed by ``Update`` and removed by ``Delete`` — each only from its author;
``Offer{Agreement}`` answering one of ours; ``Accept``/``Reject`` of our residents' answers.

The object is read once by :mod:`inbox.classify` (its id on the sender's server, its fields
checked as ours are); an unusable one is dropped with a logged reason, never retried.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from commons.offers.agreement_wire import refusal_words
from commons.offers.bookables import cancel_from_elsewhere
from commons.offers.received import drop_remote_offer, keep_remote_offer
from commons.offers.responses import (
    receive_reply,
    receive_response,
    record_answer,
    refuse_remotely,
)
from commons.posts.received import authored_by, receive_post
from config.errors import DomainError
from federation.vocab import first_str
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles
from storage.models.posts import MENTIONED

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


@handles("Offer", ObjectKind.OUR_OFFER)
async def on_agreement_offered(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """Someone of another server answers one of our offers: kept for its author, or refused
    with a ``Reject`` that says why (in French), nothing kept."""
    assert target.offer is not None and target.proposed is not None
    try:  # every check comes before anything is written
        await receive_response(
            session, ctx.instance.uris, target.offer, ctx.sender, target.proposed
        )
    except DomainError as error:
        log.info("answer %s to %s refused: %s", target.proposed.activity_uri, target.offer.uri,
                 error.code)  # fmt: skip
        await refuse_remotely(session, ctx.instance.uris, target.offer,
                              target.proposed.activity_uri, ctx.sender,
                              refusal_words(error.code))  # fmt: skip


@handles("Accept", ObjectKind.OUR_RESPONSE)
@handles("Reject", ObjectKind.OUR_RESPONSE)
async def on_answer(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """The author of another server's offer accepts or declines our resident's answer."""
    assert target.response is not None
    raw = ctx.activity.raw
    reason = first_str(raw.get("content")) or first_str(raw.get("summary"))
    accepted = ctx.activity.type == "Accept"
    code = first_str(raw.get("pickupCode"))
    if accepted:
        reason = None  # an Accept's content is its pickup code, kept apart
    if not await record_answer(session, ctx.sender, target.response, accepted=accepted,
                               reason=reason[:5000] if reason else None, code=code):  # fmt: skip
        log.info("answer to %s by %s ignored", target.response.uri, ctx.sender.uri)


@handles("Create", ObjectKind.REPLY_TO_OUR_OFFER)
async def on_reply(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """A reply to one of our offers is kept as a post (a public one is a comment under it);
    a direct one, seen by the author alone, is how Mastodon users answer: it becomes an answer
    too, unless the offer takes none (then it stays a private message)."""
    note, offer = target.note, target.offer
    assert note is not None and offer is not None
    if not authored_by(note, ctx.sender):
        log.info("reply %s refused: not by its author", note.id)
        return
    post = await receive_post(session, note, ctx.sender, None)
    if post is None or post.visibility != MENTIONED:
        return
    try:
        await receive_reply(session, ctx.instance.uris, offer, ctx.sender, post)
    except DomainError as error:
        log.info("direct reply %s to %s not taken as an answer: %s", note.id, offer.uri,
                 error.code)  # fmt: skip


@handles("Undo", ObjectKind.ANSWER_TO_OUR_OFFER)
async def on_cancelled(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """Who booked one of our things from another server cancels: the slots are free again."""
    assert target.response is not None
    if not await cancel_from_elsewhere(session, ctx.instance.uris, ctx.sender, target.response):
        log.info("Undo of %s by %s ignored", target.response.uri, ctx.sender.uri)
