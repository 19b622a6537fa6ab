"""Taking part in one date of a series: places and waiting list per date, those of the whole
series counted on every date, RSVPs that follow their date when the series moves."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commons.events import date_rsvps
from commons.events import rsvps as event_rsvps
from commons.events import services as events
from storage.database import Database
from storage.models import Event, Rsvp
from storage.models.events import RSVP_ACCEPTED, RSVP_WAITLIST
from tests.clock import next_week_saturday
from tests.commons.event_support import Quartier, create

SATURDAY = next_week_saturday()
NEXT = SATURDAY + timedelta(weeks=1)


async def series(database: Database, q: Quartier, **changes: object) -> Event:
    fields: dict[str, object] = {
        "rrule": "FREQ=WEEKLY;COUNT=4", "capacity": 1, "start": SATURDAY,
        "end": SATURDAY + timedelta(hours=6), **changes,
    }  # fmt: skip
    return await create(database, q, q.jeanmarc, **fields)


async def join(
    database: Database, q: Quartier, event: Event, person: object, when: datetime | None
) -> Rsvp:
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        return await event_rsvps.join_event(session, q.uris, person, row, occurrence=when)  # type: ignore[arg-type]


async def counts(database: Database, event: Event) -> dict[datetime, int]:
    async with database.session() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        starts = [SATURDAY + timedelta(weeks=n) for n in range(4)]
        return await date_rsvps.date_counts(session, row, starts)


async def test_each_date_has_its_own_places_and_waiting_list(
    database: Database, quartier: Quartier
) -> None:
    # Given a weekly repair café with one place
    event = await series(database, quartier)

    # When karim takes the place of the first Saturday, and nadia asks for it too
    first = await join(database, quartier, event, quartier.karim, SATURDAY)
    waiting = await join(database, quartier, event, quartier.nadia, SATURDAY)
    # and for the next Saturday
    second = await join(database, quartier, event, quartier.nadia, NEXT)

    # Then karim comes on the first, nadia waits for it but comes on the second
    assert (first.state, waiting.state, second.state) == (
        RSVP_ACCEPTED, RSVP_WAITLIST, RSVP_ACCEPTED,
    )  # fmt: skip
    assert (await counts(database, event))[SATURDAY] == 1
    assert (await counts(database, event))[NEXT] == 1
    async with database.session() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        assert await event_rsvps.waitlist_position(session, row, waiting) == 1
        assert row.participant_count == 0  # nobody takes part in every date

    # When karim leaves the first Saturday, nadia moves up
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        assert await event_rsvps.leave_event(
            session, quartier.uris, quartier.karim, row, occurrence=SATURDAY
        )
        moved = await event_rsvps.find_rsvp(session, row, quartier.nadia, SATURDAY)
    assert moved is not None and moved.state == RSVP_ACCEPTED
    assert await counts(database, event) == {
        SATURDAY: 1, NEXT: 1, NEXT + timedelta(weeks=1): 0, NEXT + timedelta(weeks=2): 0,
    }  # fmt: skip


async def test_who_takes_part_in_every_date_is_counted_on_each(
    database: Database, quartier: Quartier
) -> None:
    # Given karim takes part in the whole series of two places
    event = await series(database, quartier, capacity=2)
    whole = await join(database, quartier, event, quartier.karim, None)
    assert whole.state == RSVP_ACCEPTED

    # Then every date counts him, and his date RSVP is his whole one
    assert set((await counts(database, event)).values()) == {1}
    again = await join(database, quartier, event, quartier.karim, NEXT)
    assert again.id == whole.id

    # When nadia takes the second place of one date, and jeanmarc asks for every date
    await join(database, quartier, event, quartier.nadia, NEXT)
    everything = await join(database, quartier, event, quartier.jeanmarc, None)

    # Then that date is full, so jeanmarc waits for the whole series
    assert (await counts(database, event))[NEXT] == 2
    assert everything.state == RSVP_WAITLIST


async def test_a_date_that_is_over_or_not_in_a_series_cannot_be_joined(
    database: Database, quartier: Quartier
) -> None:
    one_off = await create(database, quartier, quartier.jeanmarc, start=SATURDAY,
                           end=SATURDAY + timedelta(hours=2))  # fmt: skip
    with pytest.raises(event_rsvps.JoinRefused) as refused:
        await join(database, quartier, one_off, quartier.karim, SATURDAY)
    assert refused.value.code == "no_such_date"

    past = datetime.now(UTC) - timedelta(weeks=2)
    old = await create(database, quartier, quartier.jeanmarc, rrule="FREQ=WEEKLY", start=past,
                       end=past + timedelta(hours=2))  # fmt: skip
    with pytest.raises(event_rsvps.JoinRefused) as over:
        await join(database, quartier, old, quartier.karim, past)
    assert over.value.code == "date_over"


async def test_rsvps_follow_their_date_when_the_series_moves(
    database: Database, quartier: Quartier
) -> None:
    # Given RSVPs to the first and the second Saturday
    event = await series(database, quartier, capacity=None)
    await join(database, quartier, event, quartier.karim, SATURDAY)
    await join(database, quartier, event, quartier.nadia, NEXT)

    # When the series moves to the afternoon and skips the second Saturday
    afternoon = SATURDAY + timedelta(hours=4)
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        fields = replace(events.fields_of(row), start=afternoon, end=afternoon + timedelta(hours=2),
                         exdates=(NEXT.astimezone(ZoneInfo("Europe/Zurich")).date(),))  # fmt: skip
        await events.edit_event(session, quartier.uris, quartier.jeanmarc, row, fields)

    # Then karim's RSVP is on the new time of his Saturday, nadia's is gone with hers
    async with database.session() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        karim = await event_rsvps.find_rsvp(session, row, quartier.karim, afternoon)
        nadia = await event_rsvps.find_rsvp(session, row, quartier.nadia, NEXT)
    assert karim is not None and karim.state == RSVP_ACCEPTED
    assert nadia is None


def test_a_date_id_names_its_series_and_its_day() -> None:
    uri = "http://paquis.test/events/5b1c/occurrences/2026-12-05"
    assert date_rsvps.split_occurrence_uri(uri) == ("http://paquis.test/events/5b1c",
                                                    date(2026, 12, 5))  # fmt: skip
    assert date_rsvps.split_occurrence_uri("http://paquis.test/events/5b1c") is None
    assert date_rsvps.split_occurrence_uri(f"{uri[:-2]}99") is None
    assert date_rsvps.split_occurrence_uri(None) is None
