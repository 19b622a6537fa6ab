"""Answering an offer or a request, and the author's reply: the services the pages, the inbox
and the client-to-server API share.

A resident of any server proposes to take it up (FEP-0837's ``Offer{Agreement}``, addressed to
the author only); whoever may publish for the author accepts or declines, with a reason. An
accepted answer takes its quantity from what is available, and an offer with nothing left is
done by itself; the new quantity reaches the followers as an ``Update``. Every rule that says
no raises a :class:`config.errors.DomainError`, before anything is written.
"""

from __future__ import annotations

import math
import secrets
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.organisers import NotOrganiser, may_organise
from commons.markdown import html_to_text
from commons.notifications import notify
from commons.offers.agreement_wire import (
    MAX_MESSAGE,
    ProposedAgreement,
    build_answer,
    build_offer_activity,
)
from commons.offers.booking import (
    bookable_of,
    check_booking,
    hold_slots,
    release_slots,
    slots_of,
)
from commons.offers.messages import reply_in_words
from commons.offers.queries import is_open
from commons.offers.services import send_offer
from config.errors import Conflict, ErrorCode, Gone, Invalid, NotAllowed
from config.uris import Uris
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Bookable, Offer, OfferResponse, Post, utcnow
from storage.models.offers import ACCEPTED, BROKEN, CLOSED, PENDING, REJECTED, WAITING

EPSILON = 1e-9


def check_quantity(offer: Offer, quantity: float | None, unit: str | None = None) -> None:
    """The quantity asked must be in the offer's unit, above zero, a multiple of the quantity
    offered each time when the offer is counted by units, and within what is available."""
    if unit is not None and unit != offer.unit:
        raise Invalid(ErrorCode.UNIT_MISMATCH, "quantity")
    if quantity is None:
        return
    if not math.isfinite(quantity) or quantity <= 0:
        raise Invalid(ErrorCode.BAD_QUANTITY, "quantity")
    if offer.unit_based and offer.quantity:
        ratio = quantity / offer.quantity
        if abs(ratio - round(ratio)) > EPSILON:
            raise Invalid(ErrorCode.NOT_A_MULTIPLE, "quantity")
    if offer.available_quantity is not None and quantity > offer.available_quantity + EPSILON:
        raise Invalid(ErrorCode.BAD_QUANTITY, "quantity")
    if offer.minimum_quantity is not None and quantity < offer.minimum_quantity - EPSILON:
        raise Invalid(ErrorCode.BAD_QUANTITY, "quantity")


async def _check_response(
    session: AsyncSession, offer: Offer, responder: Actor, quantity: float | None,
    unit: str | None, message: str, *, bookable: Bookable | None = None,
) -> None:  # fmt: skip
    if offer.deleted_at is not None:
        raise Gone(ErrorCode.NOT_AN_OFFER)
    if not is_open(offer):
        raise Conflict(ErrorCode.OFFER_CLOSED)
    author = await session.get(Actor, offer.actor_id)
    if (
        author is None
        or author.id == responder.id
        or (responder.is_local and await may_organise(session, responder, author))
    ):
        raise NotAllowed(ErrorCode.OWN_OFFER)
    if len(message) > MAX_MESSAGE:
        raise Invalid(ErrorCode.MESSAGE_TOO_LONG, "message")
    check_quantity(offer, quantity, unit)
    if bookable is not None:  # one may book several slots
        return
    waiting = await session.scalar(
        select(OfferResponse.id).where(
            OfferResponse.offer_id == offer.id,
            OfferResponse.responder_id == responder.id,
            OfferResponse.state == PENDING,
        )
    )
    if waiting is not None:
        raise Conflict(ErrorCode.ALREADY_ANSWERED)


async def respond(
    session: AsyncSession,
    uris: Uris,
    responder: Actor,
    offer: Offer,
    *,
    quantity: float | None = None,
    message: str = "",
    post_id: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    wait_if_taken: bool = False,
) -> OfferResponse:
    """One of our residents answers an offer (for a bookable one: books a slot): here, its
    author is told, or the booking is accepted at once when the rules need no approval;
    elsewhere, the ``Offer{Agreement}`` goes to the author's server. A booking of slots already
    taken here goes on the waiting list when ``wait_if_taken``, and moves up when they are
    freed."""
    message = message.strip()
    bookable = await bookable_of(session, offer)
    await _check_response(session, offer, responder, quantity, None, message, bookable=bookable)
    response = OfferResponse(
        uri=uris.new_activity(),
        offer_id=offer.id,
        responder_id=responder.id,
        agreement_uri=f"{uris.base}/agreements/{uuid.uuid4()}",
        quantity=quantity,
        message=message,
        state=PENDING,
        post_id=post_id,
        created_at=utcnow(),
    )
    try:
        await _write(session, offer, response, responder, bookable, starts_at, ends_at)
    except Conflict as error:
        if not (wait_if_taken and offer.is_local and error.code == ErrorCode.SLOT_TAKEN):
            raise
        response.state = WAITING
        session.add(response)
        await session.flush()
        return response
    author = await session.get(Actor, offer.actor_id)
    assert author is not None
    if offer.is_local:
        await _arrived(session, uris, offer, author, response, responder, bookable)
    else:
        document = build_offer_activity(offer, author, response, responder)
        await enqueue_activity(session, responder, document, to_followers=False,
                               inboxes=[author.delivery_inbox])  # fmt: skip
    return response


async def _write(
    session: AsyncSession, offer: Offer, response: OfferResponse, responder: Actor,
    bookable: Bookable | None, starts_at: datetime | None, ends_at: datetime | None,
) -> None:  # fmt: skip
    """Keep the answer; a booking is checked against the rules and holds its slots (on the
    space's own server; elsewhere it is only checked, for an early answer)."""
    if bookable is None:
        session.add(response)
        await session.flush()
        return
    slots = await check_booking(session, offer, bookable, responder, starts_at, ends_at, utcnow())
    response.starts_at, response.ends_at = starts_at, ends_at
    if offer.is_local:
        await hold_slots(session, offer, response, slots)
    else:
        session.add(response)
        await session.flush()


async def _arrived(
    session: AsyncSession, uris: Uris, offer: Offer, author: Actor, response: OfferResponse,
    responder: Actor, bookable: Bookable | None,
) -> None:  # fmt: skip
    """A new answer to one of our offers: its author is told; a booking the rules allow
    without approval is accepted at once."""
    await notify(session, author.id, "offer_response", responder.id, offer_id=offer.id)
    if bookable is not None and not bookable.needs_approval:
        await _decide(session, uris, offer, author, response, responder, accept=True)


async def receive_response(
    session: AsyncSession, uris: Uris, offer: Offer, responder: Actor, proposed: ProposedAgreement
) -> OfferResponse:
    """Another server's ``Offer{Agreement}`` for one of our offers, checked as ours are; the
    same activity received twice is kept once."""
    known = await session.scalar(
        select(OfferResponse).where(OfferResponse.uri == proposed.activity_uri)
    )
    if known is not None:
        return known
    bookable = await bookable_of(session, offer)
    await _check_response(
        session, offer, responder, proposed.quantity, proposed.unit, proposed.message.strip(),
        bookable=bookable,
    )  # fmt: skip
    response = OfferResponse(
        uri=proposed.activity_uri,
        offer_id=offer.id,
        responder_id=responder.id,
        agreement_uri=proposed.agreement_uri,
        quantity=proposed.quantity,
        message=proposed.message.strip(),
        state=PENDING,
        created_at=utcnow(),
    )
    await _write(session, offer, response, responder, bookable, proposed.starts_at,
                 proposed.ends_at)  # fmt: skip
    author = await session.get(Actor, offer.actor_id)
    assert author is not None
    await _arrived(session, uris, offer, author, response, responder, bookable)
    return response


async def receive_reply(
    session: AsyncSession, uris: Uris, offer: Offer, responder: Actor, post: Post
) -> OfferResponse:
    """A reply to one of our offers made into an answer: how Mastodon users answer (a direct
    reply, seen by the author only), or a public reply the author chose to take as one."""
    known = await session.scalar(select(OfferResponse).where(OfferResponse.post_id == post.id))
    if known is not None:
        return known
    proposed = ProposedAgreement(
        activity_uri=f"{post.uri}#answer",
        agreement_uri=f"{post.uri}#agreement",
        satisfies=f"{offer.uri}#primary",
        quantity=None,
        unit=None,
        message=html_to_text(post.content_html or "")[:MAX_MESSAGE],
    )
    response = await receive_response(session, uris, offer, responder, proposed)
    response.post_id = post.id
    return response


async def take_reply_as_answer(
    session: AsyncSession, uris: Uris, person: Actor, offer: Offer, post: Post
) -> OfferResponse:
    """The author takes a public reply to their offer as an answer (to accept or decline)."""
    author = await session.get(Actor, offer.actor_id)
    if author is None or not offer.is_local or not await may_organise(session, person, author):
        raise NotOrganiser()
    if post.in_reply_to_uri != offer.uri or post.deleted_at is not None:
        raise Invalid(ErrorCode.NOT_AN_OFFER)
    responder = await session.get(Actor, post.actor_id)
    if responder is None:
        raise Gone(ErrorCode.NOT_AN_OFFER)
    return await receive_reply(session, uris, offer, responder, post)


async def refuse_remotely(
    session: AsyncSession, uris: Uris, offer: Offer, activity_uri: str, responder: Actor,
    reason: str,
) -> None:  # fmt: skip
    """Tell another server's resident why their answer could not be taken (nothing is kept)."""
    author = await session.get(Actor, offer.actor_id)
    if author is None or responder.is_local:
        return
    refused = OfferResponse(uri=activity_uri, offer_id=offer.id, responder_id=responder.id,
                            agreement_uri=activity_uri, reason=reason, state=REJECTED)  # fmt: skip
    document = build_answer(uris.new_activity(), offer, author, refused, responder,
                            accepted=False, agreement_uri=activity_uri)  # fmt: skip
    await enqueue_activity(session, author, document, to_followers=False,
                           inboxes=[responder.delivery_inbox])  # fmt: skip


PICKUP_LETTERS = "ACDEFHJKMNPRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B to misread


def pickup_code() -> str:
    """Six letters and digits the borrower shows when they come for it."""
    return "".join(secrets.choice(PICKUP_LETTERS) for _ in range(6))


def taken(offer: Offer, response: OfferResponse) -> float:
    if response.quantity is not None:
        return response.quantity
    return offer.quantity or 1


async def answer(
    session: AsyncSession,
    uris: Uris,
    person: Actor,
    response: OfferResponse,
    *,
    accept: bool,
    reason: str = "",
) -> OfferResponse:
    """The author accepts or declines a pending answer; the responder is told (on their own
    server when they are elsewhere), and what is left of the offer follows."""
    offer = await session.get(Offer, response.offer_id)
    author = await session.get(Actor, offer.actor_id) if offer is not None else None
    responder = await session.get(Actor, response.responder_id)
    if offer is None or author is None or responder is None:
        raise Gone(ErrorCode.NOT_AN_OFFER)
    if not offer.is_local or not await may_organise(session, person, author):
        raise NotOrganiser()
    if response.state != PENDING:
        raise Conflict(ErrorCode.NOT_PENDING)
    if len(reason) > MAX_MESSAGE:
        raise Invalid(ErrorCode.MESSAGE_TOO_LONG, "reason")
    if accept:
        if offer.deleted_at is not None or offer.status == CLOSED:
            raise Conflict(ErrorCode.OFFER_CLOSED)
        check_quantity(offer, response.quantity)
    await _decide(session, uris, offer, author, response, responder, accept=accept, reason=reason)
    return response


async def _decide(
    session: AsyncSession, uris: Uris, offer: Offer, author: Actor, response: OfferResponse,
    responder: Actor, *, accept: bool, reason: str = "",
) -> None:  # fmt: skip
    """Record the answer, take what is accepted from what is left (not for bookings: their
    slots are theirs), free a declined booking's slots, and tell the responder."""
    response.state = ACCEPTED if accept else REJECTED
    response.reason = reason.strip() or None
    response.answered_at = utcnow()
    booking = response.starts_at is not None
    if accept and booking:
        response.pickup_code = pickup_code()
    if not accept:
        await free_slots(session, uris, response)
    if accept and not booking and offer.available_quantity is not None:
        left = offer.available_quantity - taken(offer, response)
        offer.available_quantity = max(left, 0.0)
        needed = offer.minimum_quantity or offer.quantity or EPSILON
        if left < needed - EPSILON:
            offer.status = CLOSED
        offer.updated = utcnow()
        await send_offer(session, uris, author, offer, "Update")
    await session.flush()
    await tell_responder(session, uris, offer, author, response, responder, accepted=accept)


async def tell_responder(
    session: AsyncSession, uris: Uris, offer: Offer, author: Actor, response: OfferResponse,
    responder: Actor, *, accepted: bool,
) -> None:  # fmt: skip
    """The responder hears the answer where they are: a notification here, a direct reply on
    Mastodon, an ``Accept``/``Reject`` on a server that sent ``Offer{Agreement}``."""
    if responder.is_local:
        kind = "offer_accepted" if accepted else "offer_rejected"
        await notify(session, responder.id, kind, author.id, offer_id=offer.id)
    elif response.post_id is not None:
        await reply_in_words(session, uris, offer, author, response, responder)
    else:
        document = build_answer(
            uris.new_activity(), offer, author, response, responder, accepted=accepted,
            agreement_uri=f"{offer.uri}/agreements/{response.id}",
        )  # fmt: skip
        await enqueue_activity(session, author, document, to_followers=False,
                               inboxes=[responder.delivery_inbox])  # fmt: skip


async def record_answer(
    session: AsyncSession, sender: Actor, response: OfferResponse, *, accepted: bool,
    reason: str | None, code: str | None = None,
) -> bool:  # fmt: skip
    """The remote author's ``Accept``/``Reject`` of our resident's answer; False (ignored)
    when the sender is not the offer's author or it was already answered."""
    offer = await session.get(Offer, response.offer_id)
    if offer is None or offer.actor_id != sender.id or response.state != PENDING:
        return False
    response.state = ACCEPTED if accepted else REJECTED
    response.reason = reason
    response.answered_at = utcnow()
    if accepted and code:
        response.pickup_code = code[:8]
    kind = "offer_accepted" if accepted else "offer_rejected"
    await notify(session, response.responder_id, kind, sender.id, offer_id=offer.id)
    return True


async def responses_to(session: AsyncSession, offer: Offer) -> list[tuple[OfferResponse, Actor]]:
    """Every answer to an offer, oldest first, with who sent it (for whoever publishes it)."""
    rows = await session.execute(
        select(OfferResponse, Actor)
        .join(Actor, Actor.id == OfferResponse.responder_id)
        .where(OfferResponse.offer_id == offer.id)
        .order_by(OfferResponse.id)
    )
    return [(response, actor) for response, actor in rows.all()]


async def response_of(
    session: AsyncSession, offer: Offer, responder: Actor
) -> OfferResponse | None:
    """The responder's latest answer to it, if any."""
    return await session.scalar(
        select(OfferResponse)
        .where(OfferResponse.offer_id == offer.id, OfferResponse.responder_id == responder.id)
        .order_by(OfferResponse.id.desc())
        .limit(1)
    )


async def free_slots(session: AsyncSession, uris: Uris, response: OfferResponse) -> None:
    """Free a booking's slots; the bookings waiting for them, oldest first, move up (each
    then waits for approval, or is accepted at once, as the rules say)."""
    await release_slots(session, response)
    if response.starts_at is None or response.ends_at is None:
        return
    offer = await session.get(Offer, response.offer_id)
    bookable = await bookable_of(session, offer) if offer is not None else None
    author = await session.get(Actor, offer.actor_id) if offer is not None else None
    if offer is None or bookable is None or author is None or bookable.condition == BROKEN:
        return
    waiting = await session.scalars(
        select(OfferResponse)
        .where(
            OfferResponse.offer_id == offer.id,
            OfferResponse.state == WAITING,
            OfferResponse.starts_at < response.ends_at,
            OfferResponse.ends_at > response.starts_at,
        )
        .order_by(OfferResponse.id)
    )
    for candidate in list(waiting):
        slots = slots_of(candidate.starts_at, candidate.ends_at, bookable.slot_minutes)  # type: ignore[arg-type]
        try:
            await hold_slots(session, offer, candidate, slots)
        except Conflict:
            continue  # some of its slots are still taken: it keeps its place
        candidate.state = PENDING
        who = await session.get(Actor, candidate.responder_id)
        if who is not None:
            await notify(session, who.id, "booking_promoted", author.id, offer_id=offer.id)
            await _arrived(session, uris, offer, author, candidate, who, bookable)


async def answer_unanswered(session: AsyncSession, uris: Uris, response: OfferResponse) -> None:
    """A booking the space did not approve in time is declined, and its slots freed."""
    offer = await session.get(Offer, response.offer_id)
    author = await session.get(Actor, offer.actor_id) if offer is not None else None
    responder = await session.get(Actor, response.responder_id)
    if offer is None or author is None or responder is None:
        return
    await _decide(session, uris, offer, author, response, responder, accept=False,
                  reason="Le lieu n'a pas répondu à temps ; le créneau est libéré.")  # fmt: skip
