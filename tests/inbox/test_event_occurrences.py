"""Remote events keep their dates in the table of occurrences: a Create writes them, an Update
rewrites them, a Delete of the event or of its organiser removes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import EventOccurrence
from tests.inbox.test_event_payloads import deliver, stored

ORGANISER = "https://mobilizon.test/@atelier-velo"
EVENT = "https://mobilizon.test/events/velo"


def event_document(**changes: Any) -> dict[str, Any]:
    document = {
        "id": EVENT, "type": "Event", "name": "Atelier vélo", "attributedTo": ORGANISER,
        "startTime": "2020-12-05T14:00:00+01:00", "endTime": "2020-12-05T17:00:00+01:00",
        "timezone": "Europe/Zurich", "rrule": "FREQ=WEEKLY;COUNT=3",
        "location": {"type": "Place", "name": "Parc des Bastions"}, "category": "WORKSHOP",
    }  # fmt: skip
    return {**document, **changes}


def activity(kind: str, obj: Any, number: int) -> dict[str, Any]:
    return {"id": f"{ORGANISER}/activities/{number}", "type": kind, "actor": ORGANISER,
            "object": obj}  # fmt: skip


async def remote_dates(database: Database) -> list[datetime]:
    event = await stored(database, EVENT)
    assert event is not None
    async with database.session() as session:
        return list(
            await session.scalars(
                select(EventOccurrence.start_time)
                .where(EventOccurrence.event_id == event.id)
                .order_by(EventOccurrence.start_time)
            )
        )


async def test_a_remote_series_is_written_rewritten_and_removed(
    database: Database, settings: Settings
) -> None:
    first = datetime(2020, 12, 5, 13, 0, tzinfo=UTC)
    # When Mobilizon sends a series of three Saturdays
    await deliver(database, settings, activity("Create", event_document(), 1))
    # Then its three dates are written
    assert await remote_dates(database) == [first + timedelta(weeks=n) for n in range(3)]

    # When it is updated: a week later, two dates only
    changed = event_document(
        startTime="2020-12-12T14:00:00+01:00", endTime="2020-12-12T17:00:00+01:00",
        rrule="FREQ=WEEKLY;COUNT=2",
    )  # fmt: skip
    await deliver(database, settings, activity("Update", changed, 2))
    assert await remote_dates(database) == [first + timedelta(weeks=n) for n in (1, 2)]

    # When it is deleted, its dates go
    await deliver(database, settings, activity("Delete", EVENT, 3))
    assert await remote_dates(database) == []


async def test_a_rule_longer_than_an_event_keeps_is_left_out(
    database: Database, settings: Settings
) -> None:
    # Given a series whose rule is longer than the 500 characters an event keeps
    too_long = "FREQ=WEEKLY;BYDAY=" + ",".join(["SA"] * 200)
    await deliver(database, settings, activity("Create", event_document(rrule=too_long), 1))
    # Then the event is kept as a single date, as for any rule we cannot use (on PostgreSQL it
    # failed to store, and was tried again until it ran out of attempts)
    event = await stored(database, EVENT)
    assert event is not None and event.rrule is None
    assert await remote_dates(database) == [datetime(2020, 12, 5, 13, 0, tzinfo=UTC)]


async def test_times_at_the_ends_of_the_calendar_are_not_taken(
    database: Database, settings: Settings
) -> None:
    # An event whose start is before the first moment in UTC has no start we can keep: it was
    # tried again and again, failing to convert it
    year_one = event_document(startTime="0001-01-01T00:00:00+01:00", rrule=None)
    await deliver(database, settings, activity("Create", year_one, 1))
    assert await stored(database, EVENT) is None
    # One whose end is after the last is kept without its end
    endless = event_document(endTime="9999-12-31T23:59:59-01:00", rrule=None)
    await deliver(database, settings, activity("Create", endless, 2))
    event = await stored(database, EVENT)
    assert event is not None and event.end_time is None


async def test_an_organiser_gone_takes_their_events_out_of_the_agenda(
    database: Database, settings: Settings
) -> None:
    # Given a remote event
    await deliver(database, settings, activity("Create", event_document(), 1))
    assert len(await remote_dates(database)) == 3

    # When its organiser's account is deleted
    await deliver(database, settings, activity("Delete", ORGANISER, 2))

    # Then the event is a tombstone without dates
    event = await stored(database, EVENT)
    assert event is not None and event.deleted_at is not None
    assert await remote_dates(database) == []
