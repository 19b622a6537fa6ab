"""Checks made while the sender waits, for the few activities whose refusal the sender must
hear at once: an answer to one of our offers (``Offer{Agreement}``) in another unit, beyond
what is available or to an offer that is done is refused with its reason, and nothing is
stored. Every other activity is only verified here and applied later by the worker.
"""

from __future__ import annotations

from sqlalchemy import select

from commons.offers.agreement_wire import is_agreement_offer, read_agreement_offer
from commons.offers.queries import is_open
from commons.offers.responses import check_quantity
from config.errors import Conflict, ErrorCode, NotFound
from federation.parsing import ParsedActivity
from storage.database import Database
from storage.models import Offer


async def check_before_storing(database: Database, activity: ParsedActivity) -> None:
    """Raise a :class:`config.errors.DomainError` for what cannot be taken; None otherwise."""
    if activity.type != "Offer" or not is_agreement_offer(activity.raw):
        return
    proposed = read_agreement_offer(activity.raw)
    async with database.session() as session:
        offer = await session.scalar(
            select(Offer).where(
                Offer.uri == proposed.satisfies.split("#", 1)[0], Offer.is_local.is_(True)
            )
        )
    if offer is None or offer.deleted_at is not None:
        raise NotFound(ErrorCode.NOT_AN_OFFER)
    if not is_open(offer):
        raise Conflict(ErrorCode.OFFER_CLOSED)
    check_quantity(offer, proposed.quantity, proposed.unit)
