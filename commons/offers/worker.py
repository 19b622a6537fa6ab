"""Upkeep of bookings, run with the queue workers (in ``quartiers serve`` and in ``quartiers
worker``) every few minutes: a booking left waiting for approval too long is declined and its
slots freed (the space did not answer in time); a thing not brought back after its last day
has its borrower reminded, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.notifications import notify
from commons.offers.messages import remind_in_words
from commons.offers.responses import answer_unanswered
from config.uris import Uris
from storage.database import Database
from storage.models import Actor, Offer, OfferResponse, utcnow
from storage.models.offers import ACCEPTED, PENDING
from storage.pipeline import repeat_until_stopped

log = logging.getLogger(__name__)

EVERY_SECONDS = 600.0
HOLD = timedelta(hours=48)
"""How long a booking waiting for approval holds its slots."""
BATCH = 200


@dataclass(frozen=True, slots=True)
class Upkept:
    expired: int
    reminded: int


class BookingUpkeep:
    def __init__(
        self, database: Database, uris: Uris, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.database = database
        self.uris = uris
        self.clock = clock

    async def run_once(self) -> Upkept:
        now = self.clock()
        async with self.database.transaction() as session:
            waiting = list(await session.scalars(
                select(OfferResponse).where(
                    OfferResponse.state == PENDING,
                    OfferResponse.starts_at.is_not(None),
                    OfferResponse.created_at < now - HOLD,
                ).order_by(OfferResponse.id).limit(BATCH)
            ))  # fmt: skip
            for response in waiting:
                await answer_unanswered(session, self.uris, response)
            overdue = list(await session.scalars(
                select(OfferResponse).where(
                    OfferResponse.state == ACCEPTED,
                    OfferResponse.picked_up_at.is_not(None),
                    OfferResponse.returned_at.is_(None),
                    OfferResponse.reminded_at.is_(None),
                    OfferResponse.ends_at < now,
                ).order_by(OfferResponse.id).limit(BATCH)
            ))  # fmt: skip
            for response in overdue:
                await self._remind(session, response, now)
        if waiting or overdue:
            log.info("bookings: %s expired, %s borrowers reminded", len(waiting), len(overdue))
        return Upkept(len(waiting), len(overdue))

    async def _remind(self, session: AsyncSession, response: OfferResponse, now: datetime) -> None:
        response.reminded_at = now
        offer = await session.get(Offer, response.offer_id)
        borrower = await session.get(Actor, response.responder_id)
        if offer is None or borrower is None:
            return
        if borrower.is_local:
            await notify(session, borrower.id, "booking_overdue", offer.actor_id, offer_id=offer.id)
        else:
            await remind_in_words(session, self.uris, offer, response, borrower)

    async def run_forever(self, stop: asyncio.Event, every_seconds: float = EVERY_SECONDS) -> None:
        await repeat_until_stopped(
            stop, self.run_once, every_seconds, "the upkeep of bookings failed; trying again later"
        )
