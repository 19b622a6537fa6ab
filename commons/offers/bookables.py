"""A shared space's things and rooms as bookable offers: setting the rules, marking an item out
of order (its bookings to come are cancelled and their people told), and cancelling a booking —
by the person who made it, or by the space.

Booking itself is answering the offer with a slot (:func:`commons.offers.responses.respond`);
the rules are checked, and the slots held, in :mod:`commons.offers.booking`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.organisers import NotOrganiser, may_organise
from commons.notifications import notify
from commons.offers.agreement_wire import refusal_words
from commons.offers.booking import bookable_of, check_rules, held_slots
from commons.offers.responses import free_slots, tell_responder
from commons.offers.services import require_publisher, send_offer
from commons.offers.vocabulary import OFFER_CONTEXT
from config.errors import Conflict, ErrorCode, Invalid
from config.uris import Uris
from federation.vocab import AS_NAMESPACE
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Bookable, Offer, OfferResponse, utcnow
from storage.models.offers import (
    ACCEPTED,
    AVAILABLE,
    BROKEN,
    CANCELLED,
    MAY_BOOK_ANYONE,
    PENDING,
    WAITING,
)


@dataclass(frozen=True, slots=True)
class BookingRules:
    """What a space decides for one of its things or rooms (see :class:`Bookable`)."""

    slot_minutes: int = 1440
    max_slots: int = 7
    lead_minutes: int = 0
    ahead_days: int = 60
    monthly_quota: int | None = None
    needs_approval: bool = False
    who_may_book: str = MAY_BOOK_ANYONE
    opening: dict[str, Any] | None = field(default=None)
    deposit_centimes: int | None = None


async def set_booking_rules(
    session: AsyncSession, uris: Uris, person: Actor, offer: Offer, rules: BookingRules | None
) -> Bookable | None:
    """Make the offer bookable with these rules (None: not bookable any more); the followers'
    servers receive the offer with its rules."""
    author = await require_publisher(session, person, offer)
    bookable = await bookable_of(session, offer)
    if rules is None:
        if bookable is not None:
            await session.delete(bookable)
            await session.flush()
    else:
        candidate = Bookable(offer_id=offer.id, condition=AVAILABLE, **vars_of(rules))
        check_rules(candidate)
        if bookable is None:
            bookable = candidate
            session.add(bookable)
        else:
            for name, value in vars_of(rules).items():
                setattr(bookable, name, value)
        await session.flush()
    offer.updated = utcnow()
    await send_offer(session, uris, author, offer, "Update")
    return bookable if rules is not None else None


def vars_of(rules: BookingRules) -> dict[str, Any]:
    return {name: getattr(rules, name) for name in BookingRules.__slots__}


async def set_condition(
    session: AsyncSession, uris: Uris, person: Actor, offer: Offer, *, broken: bool
) -> list[OfferResponse]:
    """Mark a thing out of order (or back in order). Out of order, its bookings to come (not
    yet handed over) are cancelled, and the people who made them told why; returns them."""
    author = await require_publisher(session, person, offer)
    bookable = await bookable_of(session, offer)
    if bookable is None:
        raise Conflict(ErrorCode.NOT_AN_OFFER)
    bookable.condition = BROKEN if broken else AVAILABLE
    cancelled = []
    if broken:
        reason = refusal_words(ErrorCode.ITEM_BROKEN) + " Votre réservation est annulée."
        to_come = await held_slots(session, offer, utcnow(), states=(PENDING, ACCEPTED, WAITING))
        for response, who in to_come:
            if response.picked_up_at is not None:
                continue  # already out (or back): nothing to cancel
            await _cancel(session, uris, offer, author, response, who, by_space=True,
                          reason=reason)  # fmt: skip
            cancelled.append(response)
    offer.updated = utcnow()
    await send_offer(session, uris, author, offer, "Update")
    return cancelled


async def cancel_booking(
    session: AsyncSession, uris: Uris, person: Actor, response: OfferResponse, reason: str = ""
) -> OfferResponse:
    """Cancel a booking to come, as the person who made it or as the space; the other side is
    told (the space's server by an ``Undo`` of the ``Offer``)."""
    offer = await session.get(Offer, response.offer_id)
    author = await session.get(Actor, offer.actor_id) if offer is not None else None
    who = await session.get(Actor, response.responder_id)
    if offer is None or author is None or who is None:
        raise Conflict(ErrorCode.NOT_AN_OFFER)
    if response.state not in (PENDING, ACCEPTED, WAITING):
        raise Conflict(ErrorCode.NOT_PENDING)
    by_space = person.id != who.id
    if by_space and not (offer.is_local and await may_organise(session, person, author)):
        raise NotOrganiser()
    await _cancel(session, uris, offer, author, response, who, by_space=by_space, reason=reason)
    return response


async def _cancel(
    session: AsyncSession, uris: Uris, offer: Offer, author: Actor, response: OfferResponse,
    who: Actor, *, by_space: bool, reason: str,
) -> None:  # fmt: skip
    response.state = CANCELLED
    response.reason = reason.strip() or None
    response.answered_at = utcnow()
    await free_slots(session, uris, response)
    await session.flush()
    if by_space:
        await tell_responder(session, uris, offer, author, response, who, accepted=False)
    elif offer.is_local:
        await notify(session, author.id, "booking_cancelled", who.id, offer_id=offer.id)
    else:
        undo = {
            "@context": [AS_NAMESPACE, OFFER_CONTEXT],
            "id": uris.new_activity(),
            "type": "Undo",
            "actor": who.uri,
            "to": [author.uri],
            "object": {"id": response.uri, "type": "Offer", "actor": who.uri},
        }
        await enqueue_activity(session, who, undo, to_followers=False,
                               inboxes=[author.delivery_inbox])  # fmt: skip


async def cancel_from_elsewhere(
    session: AsyncSession, uris: Uris, sender: Actor, response: OfferResponse
) -> bool:
    """Another server's resident cancels their booking (``Undo{Offer}``); False when the
    sender did not make it or it is no longer to come."""
    offer = await session.get(Offer, response.offer_id)
    author = await session.get(Actor, offer.actor_id) if offer is not None else None
    if offer is None or author is None or response.responder_id != sender.id:
        return False
    if response.state not in (PENDING, ACCEPTED):
        return False
    await _cancel(session, uris, offer, author, response, sender, by_space=False, reason="")
    return True


async def record_pickup(
    session: AsyncSession, person: Actor, response: OfferResponse, code: str
) -> OfferResponse:
    """The space hands it over: the borrower's code must be the booking's."""
    await _require_space(session, person, response)
    if response.state != ACCEPTED or response.picked_up_at is not None:
        raise Conflict(ErrorCode.NOT_PENDING)
    if not response.pickup_code or code.strip().upper() != response.pickup_code:
        raise Invalid(ErrorCode.WRONG_PICKUP_CODE, "code")
    response.picked_up_at = utcnow()
    return response


async def record_return(
    session: AsyncSession, person: Actor, response: OfferResponse
) -> OfferResponse:
    """It is back: the slots stay as they were (the days it was out)."""
    await _require_space(session, person, response)
    if response.picked_up_at is None or response.returned_at is not None:
        raise Conflict(ErrorCode.NOT_PENDING)
    response.returned_at = utcnow()
    return response


async def _require_space(session: AsyncSession, person: Actor, response: OfferResponse) -> None:
    offer = await session.get(Offer, response.offer_id)
    if offer is None:
        raise Conflict(ErrorCode.NOT_AN_OFFER)
    await require_publisher(session, person, offer)
