"""Checks made while the sender waits, for the few activities whose refusal the sender must
hear at once: an answer to one of our offers (``Offer{Agreement}``) in another unit, beyond
what is left or to an offer that is done is refused with its reason (4xx), nothing of it is
stored, and a ``Reject`` saying why in French goes back to the responder, so that their own
server can show them the answer. Every other activity is only verified here and applied later
by the worker.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from commons.offers.agreement_wire import (
    ProposedAgreement,
    is_agreement_offer,
    read_agreement_offer,
    refusal_words,
)
from commons.offers.booking import bookable_of, check_booking
from commons.offers.queries import is_open
from commons.offers.responses import check_quantity, refuse_remotely
from config.errors import Conflict, DomainError, ErrorCode, NotFound
from federation.parsing import ParsedActivity
from instance.runtime import Instance
from storage.models import Actor, Offer, utcnow

log = logging.getLogger(__name__)


async def _check_booking(
    instance: Instance, offer: Offer, actor_uri: str, proposed: ProposedAgreement
) -> None:
    """A booking's slot against the rules (whether it is still free is known only when it is
    held, by the worker: a slot taken meanwhile gets a ``Reject``)."""
    async with instance.database.session() as session:
        bookable = await bookable_of(session, offer)
        responder = await session.scalar(select(Actor).where(Actor.uri == actor_uri))
        if bookable is None or responder is None:
            return
        await check_booking(session, offer, bookable, responder, proposed.starts_at,
                            proposed.ends_at, utcnow())  # fmt: skip


async def check_before_storing(instance: Instance, activity: ParsedActivity) -> None:
    """Raise a :class:`config.errors.DomainError` for what cannot be taken; None otherwise."""
    if activity.type != "Offer" or not is_agreement_offer(activity.raw):
        return
    proposed = read_agreement_offer(activity.raw)
    async with instance.database.session() as session:
        offer = await session.scalar(
            select(Offer).where(
                Offer.uri == proposed.satisfies.split("#", 1)[0], Offer.is_local.is_(True)
            )
        )
    if offer is None or offer.deleted_at is not None:
        raise NotFound(ErrorCode.NOT_AN_OFFER)
    try:
        if not is_open(offer):
            raise Conflict(ErrorCode.OFFER_CLOSED)
        check_quantity(offer, proposed.quantity, proposed.unit)
        await _check_booking(instance, offer, activity.actor_uri, proposed)
    except DomainError as error:
        async with instance.database.transaction() as session:
            responder = await session.scalar(select(Actor).where(Actor.uri == activity.actor_uri))
            row = await session.get(Offer, offer.id)
            if responder is not None and row is not None:
                await refuse_remotely(session, instance.uris, row, proposed.activity_uri,
                                      responder, refusal_words(error.code))  # fmt: skip
        raise
