"""Booking a shared space's things and rooms by time slot: the rules, and the slots an answer
holds.

A bookable offer counts time in slots of ``slot_minutes`` from midnight in Geneva (a day for a
drill or a cargo bike, an hour for the meeting room). A booking is a run of whole slots; it is
checked against the rules (how long, how soon, how far ahead, opening hours and closed
periods, a quota per person and month, who may book, an item out of order), then holds one
``reservation_slots`` row per slot. The unique key on (offer, slot) is what makes a double
booking impossible — two requests for the same slot at the same moment, from two servers, on
SQLite or PostgreSQL: the second insert fails and is refused as ``slot_taken``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from config.errors import Conflict, ErrorCode, Invalid, NotAllowed
from storage.models import Actor, Bookable, Membership, Offer, OfferResponse, ReservationSlot
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.offers import (
    ACCEPTED,
    BROKEN,
    MAY_BOOK,
    MAY_BOOK_MEMBERS,
    MAY_BOOK_RESIDENTS,
    PENDING,
)

GENEVA = ZoneInfo("Europe/Zurich")
SLOT_LENGTHS = (30, 60, 1440)
MAX_SLOTS = 90
MAX_AHEAD_DAYS = 730  # how far ahead a space may let a thing be booked, and the longest notice


@dataclass(frozen=True, slots=True)
class Opening:
    """When a space lends: weekdays (0 = Monday), hours (for slots shorter than a day), and
    closed periods (first and last day, both closed)."""

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    opens: time | None = None
    closes: time | None = None
    closed: tuple[tuple[date, date], ...] = ()

    @classmethod
    def of(cls, data: object) -> Opening:
        if not isinstance(data, dict):
            return cls()
        weekdays = tuple(
            d for d in data.get("weekdays", range(7)) if isinstance(d, int) and 0 <= d <= 6
        )
        closed = []
        for pair in data.get("closed", []):
            try:
                closed.append((date.fromisoformat(pair[0]), date.fromisoformat(pair[1])))
            except (TypeError, ValueError, IndexError):
                continue
        return cls(weekdays, _time(data.get("from")), _time(data.get("to")), tuple(closed))

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"weekdays": list(self.weekdays)}
        if self.opens is not None and self.closes is not None:
            data["from"], data["to"] = self.opens.strftime("%H:%M"), self.closes.strftime("%H:%M")
        if self.closed:
            data["closed"] = [[first.isoformat(), last.isoformat()] for first, last in self.closed]
        return data


def _time(value: object) -> time | None:
    try:
        return time.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def check_rules(bookable: Bookable) -> None:
    """The rules a space sets must make sense (:class:`Invalid` ``bad_rules`` otherwise)."""
    opening = Opening.of(bookable.opening)
    if (
        bookable.slot_minutes not in SLOT_LENGTHS
        or not 1 <= bookable.max_slots <= MAX_SLOTS
        or not 0 <= bookable.lead_minutes <= MAX_AHEAD_DAYS * 24 * 60
        or not 1 <= bookable.ahead_days <= MAX_AHEAD_DAYS
        or (bookable.monthly_quota is not None and bookable.monthly_quota < 1)
        or bookable.who_may_book not in MAY_BOOK
        or not opening.weekdays
        or (opening.opens is not None and opening.closes is not None
            and opening.opens >= opening.closes)
    ):  # fmt: skip
        raise Invalid(ErrorCode.BAD_RULES, "booking")


def slots_of(start: datetime, end: datetime, slot_minutes: int) -> list[datetime]:
    """The slots from ``start`` to ``end`` (UTC), counted on Geneva's clock: a day slot runs
    from midnight to midnight, 23 or 25 hours on the days the clocks change."""
    local_start = start.astimezone(GENEVA).replace(tzinfo=None)
    local_end = end.astimezone(GENEVA).replace(tzinfo=None)
    since_midnight = local_start - datetime.combine(local_start.date(), time())
    if since_midnight % timedelta(minutes=slot_minutes) or local_end <= local_start:
        raise Invalid(ErrorCode.BAD_SLOT, "starts_at")
    if (local_end - local_start) % timedelta(minutes=slot_minutes):
        raise Invalid(ErrorCode.BAD_SLOT, "ends_at")
    found: list[datetime] = []
    moment = local_start
    while moment < local_end and len(found) <= MAX_SLOTS:
        found.append(moment.replace(tzinfo=GENEVA))
        moment += timedelta(minutes=slot_minutes)
    return found


TOO_SOON = "too_soon"
TOO_FAR = "too_far"
IN_TIME = "in_time"


def bookable_when(bookable: Bookable, slot: datetime, now: datetime) -> str:
    """Whether a booking may start at ``slot`` as seen at ``now``: :data:`TOO_SOON` (within the
    lead time), :data:`TOO_FAR` (further ahead than the rules allow) or :data:`IN_TIME`.

    A day is booked by the day: the lead time is counted in whole days on Geneva's clock, so
    with none, today can still be booked; with one day, tomorrow."""
    if bookable.slot_minutes >= 1440:
        lead_days = -(-bookable.lead_minutes // 1440)
        first_day = now.astimezone(GENEVA).date() + timedelta(days=lead_days)
        too_soon = slot.astimezone(GENEVA).date() < first_day
    else:
        too_soon = slot < now + timedelta(minutes=bookable.lead_minutes)
    if too_soon:
        return TOO_SOON
    if slot > now + timedelta(days=bookable.ahead_days):
        return TOO_FAR
    return IN_TIME


def lends_at(opening: Opening, slot: datetime, slot_minutes: int) -> bool:
    """Whether the space lends ``slot``: its weekday, outside closed periods, within hours."""
    day = slot.date()
    if slot.weekday() not in opening.weekdays:
        return False
    if any(first <= day <= last for first, last in opening.closed):
        return False
    if slot_minutes < 1440 and opening.opens is not None and opening.closes is not None:
        starts = slot.hour * 60 + slot.minute
        closes = opening.closes.hour * 60 + opening.closes.minute
        if opening.closes >= time(23, 59):
            closes = 1440  # open until midnight
        return opening.opens <= slot.time() and starts + slot_minutes <= closes
    return True


async def _may_book(session: AsyncSession, bookable: Bookable, offer: Offer, who: Actor) -> bool:
    if bookable.who_may_book == MAY_BOOK_RESIDENTS:
        return who.is_local
    if bookable.who_may_book == MAY_BOOK_MEMBERS:
        role = await session.scalar(
            select(Membership.role).where(
                Membership.group_id == offer.actor_id,
                Membership.member_id == who.id,
                Membership.state == MEMBERSHIP_ACCEPTED,
            )
        )
        return role is not None
    return True


async def _booked_this_month(
    session: AsyncSession, offer: Offer, who: Actor, start: datetime
) -> int:
    local = start.astimezone(GENEVA)
    first = datetime(local.year, local.month, 1, tzinfo=GENEVA)
    after = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=GENEVA)
    count = await session.scalar(
        select(func.count()).select_from(OfferResponse).where(
            OfferResponse.offer_id == offer.id,
            OfferResponse.responder_id == who.id,
            OfferResponse.state.in_((PENDING, ACCEPTED)),
            OfferResponse.starts_at >= first,
            OfferResponse.starts_at < after,
        )
    )  # fmt: skip
    return count or 0


async def check_booking(
    session: AsyncSession,
    offer: Offer,
    bookable: Bookable,
    who: Actor,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> list[datetime]:
    """The slots of a booking, once every rule allows it; a :class:`DomainError` says which
    does not (in the order a person would want to hear them)."""
    if bookable.condition == BROKEN:
        raise Conflict(ErrorCode.ITEM_BROKEN)
    if start is None or end is None:
        raise Invalid(ErrorCode.SLOT_REQUIRED, "starts_at")
    slots = slots_of(start, end, bookable.slot_minutes)
    if len(slots) > bookable.max_slots:
        raise Invalid(ErrorCode.BOOKING_TOO_LONG, "ends_at", count=bookable.max_slots)
    when = bookable_when(bookable, start, now)
    if when == TOO_SOON:
        raise Invalid(ErrorCode.TOO_SOON, "starts_at")
    if when == TOO_FAR:
        raise Invalid(ErrorCode.TOO_FAR, "starts_at", count=bookable.ahead_days)
    opening = Opening.of(bookable.opening)
    if not all(lends_at(opening, slot, bookable.slot_minutes) for slot in slots):
        raise Invalid(ErrorCode.OUTSIDE_OPENING, "starts_at")
    if not await _may_book(session, bookable, offer, who):
        raise NotAllowed(ErrorCode.MAY_NOT_BOOK)
    quota = bookable.monthly_quota
    if quota is not None and await _booked_this_month(session, offer, who, start) >= quota:
        raise Conflict(ErrorCode.QUOTA_REACHED, count=quota)
    return slots


async def hold_slots(
    session: AsyncSession, offer: Offer, response: OfferResponse, slots: Sequence[datetime]
) -> None:
    """Write the answer and its slots together in a savepoint; a slot already held (by an
    answer written a moment before, from anywhere) undoes both and refuses ``slot_taken``."""
    try:
        async with session.begin_nested():
            session.add(response)
            await session.flush()
            session.add_all(
                ReservationSlot(offer_id=offer.id, response_id=response.id, slot_start=slot)
                for slot in slots
            )
            await session.flush()
    except IntegrityError:
        raise Conflict(ErrorCode.SLOT_TAKEN) from None


async def release_slots(session: AsyncSession, response: OfferResponse) -> None:
    await session.execute(delete(ReservationSlot).where(ReservationSlot.response_id == response.id))


async def bookable_of(session: AsyncSession, offer: Offer) -> Bookable | None:
    return await session.get(Bookable, offer.id)


async def held_slots(
    session: AsyncSession,
    offer: Offer,
    after: datetime,
    limit: int = 200,
    *,
    states: tuple[str, ...] = (PENDING, ACCEPTED),
) -> list[tuple[OfferResponse, Actor]]:
    """The bookings to come (pending or accepted; ``states`` to see the waiting list too),
    soonest first, with who made them."""
    rows = await session.execute(
        select(OfferResponse, Actor)
        .join(Actor, Actor.id == OfferResponse.responder_id)
        .where(
            OfferResponse.offer_id == offer.id,
            OfferResponse.state.in_(states),
            OfferResponse.ends_at > after,
        )
        .order_by(OfferResponse.starts_at, OfferResponse.id)
        .limit(limit)
    )
    return [(response, actor) for response, actor in rows.all()]


async def availability_now(
    session: AsyncSession, offer_ids: Sequence[int], now: datetime
) -> dict[int, bool]:
    """For each bookable offer among ``offer_ids``: True when it can be had right now (in
    order, and no booking covers this moment); offers that are not bookable are left out."""
    if not offer_ids:
        return {}
    bookables = await session.execute(
        select(Bookable.offer_id, Bookable.condition).where(Bookable.offer_id.in_(offer_ids))
    )
    found = {offer_id: condition != BROKEN for offer_id, condition in bookables.all()}
    if not found:
        return {}
    busy = await session.scalars(
        select(OfferResponse.offer_id).where(
            OfferResponse.offer_id.in_(list(found)),
            OfferResponse.state.in_((PENDING, ACCEPTED)),
            OfferResponse.starts_at <= now,
            OfferResponse.ends_at > now,
        )
    )
    for offer_id in busy:
        found[offer_id] = False
    return found
