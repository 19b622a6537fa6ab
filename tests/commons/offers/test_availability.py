"""An item's calendar: each day closed, free, partly or wholly booked, too soon or too far."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from commons.offers.availability import (
    BOOKED,
    CLOSED,
    FREE,
    NOT_YET,
    OUT_OF_ORDER,
    PARTLY,
    TOO_SOON,
    availability,
    day_slots,
)
from commons.offers.booking import GENEVA
from storage.models import Bookable, OfferResponse
from storage.models.offers import BROKEN

MONDAY = date(2027, 3, 1)
NOW = datetime(2027, 3, 1, 8, tzinfo=UTC)  # 9:00 in Geneva


def rules(**changes: object) -> Bookable:
    values: dict[str, object] = dict(
        offer_id=1, slot_minutes=1440, max_slots=3, lead_minutes=0, ahead_days=10,
        monthly_quota=None, needs_approval=False, who_may_book="anyone",
        opening={"weekdays": [0, 1, 2, 3, 4]}, condition="available",
    )  # fmt: skip
    values.update(changes)
    return Bookable(**values)


def booking(first: date, last: date, hour: int = 0, hours: int = 0) -> OfferResponse:
    start = datetime(first.year, first.month, first.day, hour, tzinfo=GENEVA)
    if hours:
        end = start + timedelta(hours=hours)
    else:
        end = datetime(last.year, last.month, last.day, tzinfo=GENEVA) + timedelta(days=1)
    return OfferResponse(starts_at=start.astimezone(UTC), ends_at=end.astimezone(UTC))


def states(bookable: Bookable, bookings: list[OfferResponse], days: int = 14) -> list[str]:
    return [day.state for day in availability(bookable, bookings, MONDAY, days, NOW)]


def test_days_are_free_booked_closed_and_not_yet_bookable() -> None:
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    found = states(rules(), [booking(tuesday, wednesday)])
    assert found[:7] == [FREE, BOOKED, BOOKED, FREE, FREE, CLOSED, CLOSED]
    assert found[7:12] == [FREE, FREE, FREE, FREE, NOT_YET]  # ten days ahead at most
    assert found[12:] == [CLOSED, CLOSED]


def test_a_room_by_the_hour_is_partly_free_and_today_loses_its_past_hours() -> None:
    room = rules(slot_minutes=60, opening={"weekdays": [0, 1], "from": "09:00", "to": "12:00"})
    assert [slot.hour for slot in day_slots(room, MONDAY)] == [9, 10, 11]
    tuesday = MONDAY + timedelta(days=1)
    days = availability(room, [booking(tuesday, tuesday, 10, 1)], MONDAY, 2, NOW)
    assert [(day.state, day.free_slots) for day in days] == [(FREE, 3), (PARTLY, 2)]
    later = availability(room, [], MONDAY, 1, NOW + timedelta(hours=2))
    assert [(day.state, day.free_slots) for day in later] == [(PARTLY, 1)]
    too_late = availability(room, [], MONDAY, 1, NOW + timedelta(hours=4))
    assert [day.state for day in too_late] == [TOO_SOON]


def test_an_item_out_of_order_is_out_of_order_every_open_day() -> None:
    found = states(rules(condition=BROKEN), [], days=7)
    assert found == [OUT_OF_ORDER] * 5 + [CLOSED, CLOSED]


def test_closed_periods_and_bookings_off_the_grid() -> None:
    holidays = rules(
        opening={"weekdays": [0, 1, 2, 3, 4], "closed": [["2027-03-02", "2027-03-03"]]}
    )
    odd = OfferResponse(starts_at=NOW + timedelta(minutes=7), ends_at=NOW + timedelta(hours=1))
    assert states(holidays, [odd], days=5) == [FREE, CLOSED, CLOSED, FREE, FREE]
