"""An item's availability day by day, as its calendar shows it: for each day, whether the space
lends that day at all, and whether its slots are free, partly or wholly booked, or not bookable
yet (too soon for the lead time, or further ahead than the rules allow)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from commons.offers.booking import (
    GENEVA,
    IN_TIME,
    TOO_FAR,
    Opening,
    bookable_when,
    lends_at,
    slots_of,
)
from config.errors import Invalid
from storage.models import Bookable, OfferResponse
from storage.models.offers import BROKEN

CLOSED = "closed"
FREE = "free"
PARTLY = "partly"
BOOKED = "booked"
NOT_YET = "not_yet"
TOO_SOON = "too_soon"
OUT_OF_ORDER = "out_of_order"


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    state: str
    free_slots: int
    """How many of its slots can still be booked."""


def day_slots(bookable: Bookable, day: date) -> list[datetime]:
    """The slots of ``day`` the space lends, on Geneva's clock."""
    opening = Opening.of(bookable.opening)
    if bookable.slot_minutes >= 1440:
        slot = datetime.combine(day, time()).replace(tzinfo=GENEVA)
        return [slot] if lends_at(opening, slot, bookable.slot_minutes) else []
    found = []
    moment = datetime.combine(day, time())
    while moment.date() == day:
        slot = moment.replace(tzinfo=GENEVA)
        if lends_at(opening, slot, bookable.slot_minutes):
            found.append(slot)
        moment += timedelta(minutes=bookable.slot_minutes)
    return found


def booked_slots(bookable: Bookable, bookings: Iterable[OfferResponse]) -> set[datetime]:
    """The slots ``bookings`` hold (pending or accepted ones are passed in)."""
    held: set[datetime] = set()
    for booking in bookings:
        if booking.starts_at is None or booking.ends_at is None:
            continue
        try:
            held.update(slots_of(booking.starts_at, booking.ends_at, bookable.slot_minutes))
        except Invalid:
            continue  # the rules changed since: its slots no longer fall on the grid
    return held


def availability(
    bookable: Bookable,
    bookings: Iterable[OfferResponse],
    first: date,
    days: int,
    now: datetime,
) -> list[Day]:
    """Each day from ``first`` on, ``days`` of them."""
    held = booked_slots(bookable, bookings)
    found = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        slots = day_slots(bookable, day)
        when = {slot: bookable_when(bookable, slot, now) for slot in slots}
        free = [slot for slot in slots if slot not in held and when[slot] == IN_TIME]
        if not slots:
            state = CLOSED
        elif bookable.condition == BROKEN:
            state = OUT_OF_ORDER
        elif all(slot in held for slot in slots):
            state = BOOKED
        elif free:
            state = FREE if len(free) == len(slots) else PARTLY
        elif any(when[slot] == TOO_FAR for slot in slots):
            state = NOT_YET
        else:
            state = TOO_SOON
        found.append(Day(day, state, len(free) if state in (FREE, PARTLY) else 0))
    return found
