"""Booking a space's things by time slot: the rules say no with a code, a slot is held by one
booking only (even two at the same moment), approval holds it until declined, an item out of
order cancels its bookings to come, and a cancelled booking frees its slots."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from commons.events.organisers import NotOrganiser
from commons.offers import responses
from commons.offers import services as offers
from commons.offers.bookables import (
    BookingRules,
    cancel_booking,
    record_pickup,
    record_return,
    set_booking_rules,
    set_condition,
)
from commons.offers.worker import BookingUpkeep
from config.errors import DomainError
from storage.database import Database
from storage.models import Actor, Notification, Offer, OfferResponse, ReservationSlot, utcnow
from storage.models.offers import ACCEPTED, CANCELLED, PENDING, REJECTED, WAITING
from tests.commons.event_support import Quartier
from tests.commons.offers.test_offers import drill

GENEVA = ZoneInfo("Europe/Zurich")
WEEKDAYS = (0, 1, 2, 3, 4, 5)  # closed on Sundays


def next_monday() -> date:
    today = datetime.now(GENEVA).date()
    return today + timedelta(days=7 - today.weekday())


def days(first: date, count: int) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(), GENEVA)
    return start, datetime.combine(first + timedelta(days=count), time(), GENEVA)


async def bookable_drill(database: Database, q: Quartier, **rules: object) -> Offer:
    async with database.transaction() as session:
        offer = await offers.publish_offer(session, q.uris, q.jeanmarc, q.cafe, drill())
        chosen = {"max_slots": 3, "ahead_days": 60, "opening": {"weekdays": list(WEEKDAYS)},
                  **rules}  # fmt: skip
        await set_booking_rules(session, q.uris, q.jeanmarc, offer, BookingRules(**chosen))  # type: ignore[arg-type]
        return offer


async def book(database: Database, q: Quartier, who: Actor, offer: Offer,
               slot: tuple[datetime, datetime]) -> OfferResponse:  # fmt: skip
    async with database.transaction() as session:
        row = await session.get(Offer, offer.id)
        assert row is not None
        return await responses.respond(session, q.uris, who, row, starts_at=slot[0],
                                       ends_at=slot[1], message="Pour le week-end")  # fmt: skip


async def refused(database: Database, q: Quartier, who: Actor, offer: Offer,
                  slot: tuple[datetime, datetime]) -> str:  # fmt: skip
    with pytest.raises(DomainError) as error:
        await book(database, q, who, offer, slot)
    return error.value.code.value


async def held(database: Database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(ReservationSlot)) or 0


async def test_a_booking_the_rules_allow_is_accepted_at_once_and_holds_its_days(
    database: Database, quartier: Quartier
) -> None:
    offer = await bookable_drill(database, quartier)
    monday = next_monday()
    booking = await book(database, quartier, quartier.nadia, offer, days(monday, 2))
    assert booking.state == ACCEPTED and await held(database) == 2
    # The same days, or one of them, are taken; the next days are free
    assert await refused(database, quartier, quartier.karim, offer, days(monday, 1)) == "slot_taken"
    assert await refused(database, quartier, quartier.karim, offer,
                         days(monday + timedelta(days=1), 2)) == "slot_taken"  # fmt: skip
    other = await book(database, quartier, quartier.karim, offer,
                       days(monday + timedelta(days=2), 2))  # fmt: skip
    assert other.state == ACCEPTED and await held(database) == 4
    async with database.session() as session:
        kinds = list(await session.scalars(
            select(Notification.kind).where(Notification.recipient_id == quartier.nadia.id)))  # fmt: skip
    assert kinds == ["offer_accepted"]


@pytest.mark.parametrize(
    ("rules", "slot", "code"),
    [
        ({}, lambda m: days(m - timedelta(days=1), 1), "outside_opening"),  # a Sunday
        ({}, lambda m: days(m, 4), "booking_too_long"),
        ({"ahead_days": 5}, lambda m: days(m + timedelta(days=14), 1), "too_far"),
        ({"lead_minutes": 60 * 24 * 30}, lambda m: days(m, 1), "too_soon"),
        ({"who_may_book": "members"}, lambda m: days(m, 1), "may_not_book"),
        ({"opening": {"weekdays": list(WEEKDAYS),
                      "closed": [["2000-01-01", "2100-01-01"]]}}, lambda m: days(m, 1),
         "outside_opening"),
    ],
)  # fmt: skip
async def test_what_the_rules_do_not_allow_is_refused_and_holds_nothing(
    database: Database, quartier: Quartier, rules: dict[str, object], slot: object, code: str
) -> None:
    offer = await bookable_drill(database, quartier, **rules)
    chosen = slot(next_monday())  # type: ignore[operator]
    assert await refused(database, quartier, quartier.nadia, offer, chosen) == code
    assert await held(database) == 0
    async with database.session() as session:
        assert await session.scalar(select(OfferResponse.id)) is None


async def test_a_day_is_booked_by_the_day_today_too_unless_a_day_ahead_is_asked(
    database: Database, quartier: Quartier
) -> None:
    today = datetime.now(GENEVA).date()
    every_day = {"opening": {"weekdays": list(range(7))}}
    offer = await bookable_drill(database, quartier, **every_day)
    assert (await book(database, quartier, quartier.nadia, offer, days(today, 1))).state == ACCEPTED
    ahead = await bookable_drill(database, quartier, lead_minutes=24 * 60, **every_day)
    assert await refused(database, quartier, quartier.karim, ahead, days(today, 1)) == "too_soon"
    tomorrow = days(today + timedelta(days=1), 1)
    assert (await book(database, quartier, quartier.karim, ahead, tomorrow)).state == ACCEPTED


async def test_half_a_day_and_a_missing_slot_are_refused(
    database: Database, quartier: Quartier
) -> None:
    offer = await bookable_drill(database, quartier)
    start, _end = days(next_monday(), 1)
    assert await refused(database, quartier, quartier.nadia, offer,
                         (start, start + timedelta(hours=12))) == "bad_slot"  # fmt: skip
    async with database.transaction() as session:
        row = await session.get(Offer, offer.id)
        assert row is not None
        with pytest.raises(DomainError) as error:
            await responses.respond(session, quartier.uris, quartier.nadia, row)
    assert error.value.code == "slot_required"


async def test_a_monthly_quota_counts_the_persons_bookings(
    database: Database, quartier: Quartier
) -> None:
    offer = await bookable_drill(database, quartier, monthly_quota=1)
    monday = next_monday()
    first = monday if monday.day <= 20 else monday + timedelta(days=14)
    await book(database, quartier, quartier.nadia, offer, days(first, 1))
    code = await refused(database, quartier, quartier.nadia, offer,
                         days(first + timedelta(days=2), 1))  # fmt: skip
    assert code == "quota_reached"


async def test_two_bookings_of_one_day_at_the_same_moment_one_is_taken(
    database: Database, quartier: Quartier
) -> None:
    offer = await bookable_drill(database, quartier)
    slot = days(next_monday(), 1)
    outcomes = await asyncio.gather(
        book(database, quartier, quartier.nadia, offer, slot),
        book(database, quartier, quartier.karim, offer, slot),
        return_exceptions=True,
    )
    taken = [o for o in outcomes if isinstance(o, OfferResponse)]
    lost = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(taken) == 1 and len(lost) == 1, outcomes
    assert lost[0].code == "slot_taken" and await held(database) == 1


async def test_with_approval_a_booking_waits_and_a_declined_one_frees_its_day(
    database: Database, quartier: Quartier
) -> None:
    offer = await bookable_drill(database, quartier, needs_approval=True)
    slot = days(next_monday(), 1)
    waiting = await book(database, quartier, quartier.nadia, offer, slot)
    assert waiting.state == PENDING and await held(database) == 1
    assert await refused(database, quartier, quartier.karim, offer, slot) == "slot_taken"
    async with database.transaction() as session:
        row = await session.get(OfferResponse, waiting.id)
        assert row is not None
        await responses.answer(session, quartier.uris, quartier.jeanmarc, row, accept=False,
                               reason="Déjà prêtée ce jour-là")  # fmt: skip
        assert row.state == REJECTED
    assert await held(database) == 0
    assert (await book(database, quartier, quartier.karim, offer, slot)).state == PENDING


async def test_an_item_out_of_order_cancels_its_bookings_and_takes_no_more(
    database: Database, quartier: Quartier
) -> None:
    offer = await bookable_drill(database, quartier)
    booking = await book(database, quartier, quartier.nadia, offer, days(next_monday(), 1))
    async with database.transaction() as session:
        row = await session.get(Offer, offer.id)
        assert row is not None
        cancelled = await set_condition(session, quartier.uris, quartier.jeanmarc, row,
                                        broken=True)  # fmt: skip
    assert [r.id for r in cancelled] == [booking.id] and await held(database) == 0
    async with database.session() as session:
        state = await session.scalar(select(OfferResponse.state))
        kinds = list(await session.scalars(
            select(Notification.kind).where(Notification.recipient_id == quartier.nadia.id)
            .order_by(Notification.id)))  # fmt: skip
    assert state == CANCELLED and kinds == ["offer_accepted", "offer_rejected"]
    code = await refused(database, quartier, quartier.karim, offer,
                         days(next_monday() + timedelta(days=1), 1))  # fmt: skip
    assert code == "item_broken"


async def test_who_booked_cancels_and_the_day_is_free_again(
    database: Database, quartier: Quartier
) -> None:
    offer = await bookable_drill(database, quartier)
    slot = days(next_monday(), 1)
    booking = await book(database, quartier, quartier.nadia, offer, slot)
    async with database.transaction() as session:
        row = await session.get(OfferResponse, booking.id)
        assert row is not None
        with pytest.raises(DomainError):
            await cancel_booking(session, quartier.uris, quartier.karim, row)
        await cancel_booking(session, quartier.uris, quartier.nadia, row)
    assert await held(database) == 0
    assert (await book(database, quartier, quartier.karim, offer, slot)).state == ACCEPTED
    async with database.session() as session:
        told = list(await session.scalars(
            select(Notification.kind).where(Notification.recipient_id == quartier.jeanmarc.id)))  # fmt: skip
    assert "booking_cancelled" in told
    assert utcnow()  # the clock of these tests is the real one: every day is to come


async def test_the_code_hands_it_over_and_a_late_return_is_reminded_once(
    database: Database, quartier: Quartier
) -> None:
    offer = await bookable_drill(database, quartier)
    booking = await book(database, quartier, quartier.nadia, offer, days(next_monday(), 1))
    assert booking.pickup_code is not None and len(booking.pickup_code) == 6
    async with database.transaction() as session:
        row = await session.get(OfferResponse, booking.id)
        assert row is not None
        with pytest.raises(DomainError) as wrong:
            await record_pickup(session, quartier.jeanmarc, row, "ZZZZZZ")
        assert wrong.value.code == "wrong_pickup_code"
        with pytest.raises(NotOrganiser):
            await record_pickup(session, quartier.karim, row, booking.pickup_code)
        await record_pickup(session, quartier.jeanmarc, row, booking.pickup_code.lower())
    # A week after its day, the upkeep reminds Nadia once
    later = days(next_monday(), 1)[1] + timedelta(days=2)
    upkeep = BookingUpkeep(database, quartier.uris, clock=lambda: later)
    assert (await upkeep.run_once()).reminded == 1
    assert (await upkeep.run_once()).reminded == 0
    async with database.session() as session:
        kinds = list(await session.scalars(
            select(Notification.kind).where(Notification.recipient_id == quartier.nadia.id)))  # fmt: skip
    assert kinds.count("booking_overdue") == 1
    async with database.transaction() as session:
        row = await session.get(OfferResponse, booking.id)
        assert row is not None
        await record_return(session, quartier.jeanmarc, row)
        assert row.returned_at is not None


async def test_a_booking_nobody_approves_in_time_frees_its_day(
    database: Database, quartier: Quartier
) -> None:
    offer = await bookable_drill(database, quartier, needs_approval=True)
    slot = days(next_monday(), 1)
    waiting = await book(database, quartier, quartier.nadia, offer, slot)
    upkeep = BookingUpkeep(database, quartier.uris, clock=lambda: utcnow() + timedelta(hours=49))
    assert (await upkeep.run_once()).expired == 1
    async with database.session() as session:
        row = await session.get(OfferResponse, waiting.id)
    assert row is not None and row.state == REJECTED and await held(database) == 0
    assert row.reason is not None and "pas répondu à temps" in row.reason


async def test_the_waiting_list_moves_up_when_a_day_is_freed(
    database: Database, quartier: Quartier
) -> None:
    offer = await bookable_drill(database, quartier)
    slot = days(next_monday(), 1)
    first = await book(database, quartier, quartier.nadia, offer, slot)
    async with database.transaction() as session:
        row = await session.get(Offer, offer.id)
        assert row is not None
        waiting = await responses.respond(session, quartier.uris, quartier.karim, row,
                                          starts_at=slot[0], ends_at=slot[1], wait_if_taken=True)  # fmt: skip
        assert waiting.state == WAITING
    assert await held(database) == 1
    async with database.transaction() as session:
        row = await session.get(OfferResponse, first.id)
        assert row is not None
        await cancel_booking(session, quartier.uris, quartier.nadia, row)
    async with database.session() as session:
        moved = await session.get(OfferResponse, waiting.id)
        told = list(await session.scalars(
            select(Notification.kind).where(Notification.recipient_id == quartier.karim.id)
            .order_by(Notification.id)))  # fmt: skip
    assert moved is not None and moved.state == ACCEPTED and await held(database) == 1
    assert told == ["booking_promoted", "offer_accepted"]
