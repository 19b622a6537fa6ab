"""The table of occurrences follows every write of an event: created, edited (rule, exception
dates, start), postponed, cancelled, deleted, a gone organiser; the worker writes open-ended
series further ahead; reads past the written dates give the dates of the rule itself."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from actors import accounts
from commons.events import dates as occurrences
from commons.events import services as events
from commons.events.expansion import exdate_dates, expand_until
from commons.events.recurrence import Occurrence, RecurrenceError, validate_rule
from commons.events.recurrence import occurrences as rule_dates
from commons.events.worker import OccurrenceWorker
from config.settings import Settings
from storage.database import Database
from storage.models import Account, Event, EventOccurrence
from tests.commons.event_support import SATURDAY, Quartier, create, repair_cafe

GENEVA = ZoneInfo("Europe/Zurich")


async def dates_of(database: Database, event: Event) -> list[tuple[datetime, datetime | None]]:
    async with database.session() as session:
        rows = await session.execute(
            select(EventOccurrence.start_time, EventOccurrence.end_time)
            .where(EventOccurrence.event_id == event.id)
            .order_by(EventOccurrence.start_time)
        )
        return [(start, end) for start, end in rows]


async def reloaded(database: Database, event: Event) -> Event:
    async with database.session() as session:
        found = await session.get(Event, event.id)
        assert found is not None
        return found


def local_days(dates: list[tuple[datetime, datetime | None]]) -> list[date]:
    return [start.astimezone(GENEVA).date() for start, _ in dates]


async def edit(database: Database, q: Quartier, event: Event, **changes: object) -> None:
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        fields = replace(events.fields_of(row), **changes)  # type: ignore[arg-type]
        await events.edit_event(session, q.uris, q.jeanmarc, row, fields)


async def test_a_one_off_event_has_one_date(database: Database, quartier: Quartier) -> None:
    # When a one-off repair café is published
    event = await create(database, quartier, quartier.jeanmarc)

    # Then it has exactly its own date, and nothing is left to write
    assert await dates_of(database, event) == [(SATURDAY, SATURDAY + timedelta(hours=6))]
    assert (await reloaded(database, event)).occurrences_until is None


async def test_a_bounded_series_has_every_date_but_its_exceptions(
    database: Database, quartier: Quartier
) -> None:
    # When a series of four Saturdays is published, without the second one
    event = await create(
        database, quartier, quartier.jeanmarc, rrule="FREQ=WEEKLY;COUNT=4",
        exdates=(date(2020, 12, 12),),
    )  # fmt: skip

    # Then three dates are written, at 10:00 in Geneva, complete
    dates = await dates_of(database, event)
    assert local_days(dates) == [date(2020, 12, 5), date(2020, 12, 19), date(2020, 12, 26)]
    assert {start.astimezone(GENEVA).hour for start, _ in dates} == {10}
    assert all(end == start + timedelta(hours=6) for start, end in dates)
    assert (await reloaded(database, event)).occurrences_until is None


async def test_an_open_ended_series_is_written_up_to_the_horizon(
    database: Database, quartier: Quartier
) -> None:
    # When a weekly series without end is published
    before = datetime.now(UTC)
    event = await create(database, quartier, quartier.jeanmarc, rrule="FREQ=WEEKLY")
    after = datetime.now(UTC)

    # Then its dates go about two years ahead, and it says where they stop
    dates = await dates_of(database, event)
    until = (await reloaded(database, event)).occurrences_until
    assert until is not None
    assert before + occurrences.HORIZON <= until <= after + occurrences.HORIZON
    assert dates[0][0] == SATURDAY and dates[-1][0] < until <= dates[-1][0] + timedelta(weeks=1)
    weeks = {timedelta(weeks=1), timedelta(weeks=1, hours=1), timedelta(weeks=1, hours=-1)}
    assert all(b[0] - a[0] in weeks for a, b in itertools.pairwise(dates))


async def test_editing_the_rule_the_exceptions_or_the_start_rewrites_the_dates(
    database: Database, quartier: Quartier
) -> None:
    # Given a series of four Saturdays
    event = await create(database, quartier, quartier.jeanmarc, rrule="FREQ=WEEKLY;COUNT=4")

    # When the rule becomes two dates only
    await edit(database, quartier, event, rrule="FREQ=WEEKLY;COUNT=2")
    assert local_days(await dates_of(database, event)) == [date(2020, 12, 5), date(2020, 12, 12)]

    # When an exception is added
    await edit(database, quartier, event, exdates=(date(2020, 12, 12),))
    assert local_days(await dates_of(database, event)) == [date(2020, 12, 5)]

    # When the series starts a week later, in the afternoon
    later = datetime(2020, 12, 12, 13, 0, tzinfo=UTC)
    await edit(database, quartier, event, start=later, end=later + timedelta(hours=2), exdates=())
    assert await dates_of(database, event) == [
        (later, later + timedelta(hours=2)),
        (later + timedelta(weeks=1), later + timedelta(weeks=1, hours=2)),
    ]


async def test_postponing_moves_the_date(database: Database, quartier: Quartier) -> None:
    event = await create(database, quartier, quartier.jeanmarc)
    later = datetime(2020, 12, 19, 9, 0, tzinfo=UTC)
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        await events.postpone_event(session, quartier.uris, quartier.jeanmarc, row, later, None)
    assert await dates_of(database, event) == [(later, later + timedelta(hours=6))]


async def test_a_cancelled_event_keeps_its_dates_and_a_deleted_one_loses_them(
    database: Database, quartier: Quartier
) -> None:
    event = await create(database, quartier, quartier.jeanmarc, rrule="FREQ=WEEKLY;COUNT=3")
    # When it is cancelled, its dates stay (the agenda shows them struck through)
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        await events.cancel_event(session, quartier.uris, quartier.jeanmarc, row)
    assert len(await dates_of(database, event)) == 3

    # When it is deleted, they go
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        await events.delete_event(session, quartier.uris, quartier.jeanmarc, row)
    assert await dates_of(database, event) == []


async def test_a_resident_who_leaves_takes_their_own_events_out_of_the_agenda(
    database: Database, quartier: Quartier, settings: Settings
) -> None:
    # Given an event nadia organises for herself, and one of the repair café
    async with database.transaction() as session:
        own = await events.create_event(
            session, quartier.uris, quartier.nadia, quartier.nadia, repair_cafe()
        )
    cafe = await create(database, quartier, quartier.jeanmarc)

    # When she deletes her account
    async with database.transaction() as session:
        account = await session.scalar(select(Account).where(Account.actor_id == quartier.nadia.id))
        assert account is not None
        await accounts.delete_account(session, settings, account)

    # Then her event is gone with its dates; the collective's stays
    assert (await reloaded(database, own)).deleted_at is not None
    assert await dates_of(database, own) == []
    assert len(await dates_of(database, cafe)) == 1


async def test_the_worker_writes_open_ended_series_further_ahead(
    database: Database, quartier: Quartier
) -> None:
    # Given an open-ended series whose dates were written three years ago (horizon long past)
    event = await create(database, quartier, quartier.jeanmarc, rrule="FREQ=WEEKLY")
    written = SATURDAY - timedelta(days=3 * 365)
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        row.start_time = written
        row.end_time = written + timedelta(hours=6)
        await occurrences.refresh_occurrences(session, row, now=written)
    stale = (await reloaded(database, event)).occurrences_until
    assert stale is not None and stale < SATURDAY
    bounded = await create(database, quartier, quartier.jeanmarc, rrule="FREQ=WEEKLY;COUNT=2")

    # When the worker runs today, by batches of one
    today = SATURDAY
    worker = OccurrenceWorker(database, batch=1, clock=lambda: today)
    extended = await worker.run_once()

    # Then the series is written up to two years from today, the rows before kept, once only;
    # the bounded one is left alone; a second round has nothing to do
    assert extended == 1
    row = await reloaded(database, event)
    assert row.occurrences_until == today + occurrences.HORIZON
    dates = await dates_of(database, event)
    assert dates[0][0] == written
    assert len(dates) == len({start for start, _ in dates})
    expected = occurrences.expansion_of(row, row.occurrences_until or today)
    assert [start for start, _ in dates] == [found.start for found in expected.dates]
    assert len(await dates_of(database, bounded)) == 2
    assert await worker.run_once() == 0


# Reads past the written dates


RULES = ["FREQ=DAILY", "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU", "FREQ=MONTHLY",
         "FREQ=MONTHLY;BYDAY=1SA", "FREQ=YEARLY", "FREQ=WEEKLY;COUNT=40",
         "FREQ=DAILY;UNTIL=20290301T000000Z", "FREQ=MONTHLY;BYMONTHDAY=31"]  # fmt: skip


async def test_dates_past_the_written_ones_are_those_of_the_rule(
    database: Database, quartier: Quartier
) -> None:
    """For random rules, starts, durations, exceptions and windows, the table (and the reads
    past where its dates stop) gives what expanding the rule alone gives."""
    randomness = random.Random(5)
    cases = []
    async with database.transaction() as session:
        for number in range(24):
            rule = randomness.choice(RULES)
            start = datetime(2026, 3, 1, tzinfo=GENEVA) + timedelta(
                days=randomness.randrange(400), minutes=15 * randomness.randrange(96)
            )
            start = start.astimezone(UTC)
            try:
                rule = validate_rule(rule, start, "Europe/Zurich")
            except RecurrenceError:
                continue
            hours = randomness.choice([None, 1, 3, 30])
            end = start + timedelta(hours=hours) if hours else None
            skipped = [
                (start + timedelta(days=randomness.randrange(200))).astimezone(GENEVA).date()
                for _ in range(3)
            ]
            event = Event(
                uri=f"http://paquis.test/events/random-{number}", url=None,
                actor_id=quartier.cafe.id, is_local=True, title=f"Série {number}",
                start_time=start, end_time=end, timezone="Europe/Zurich", rrule=rule,
                exdates={"dates": [day.isoformat() for day in skipped]},
            )  # fmt: skip
            session.add(event)
            # written as if two years and a half ago: the horizon falls inside the windows
            await occurrences.refresh_occurrences(
                session, event, now=start - timedelta(days=randomness.randrange(500, 900))
            )
            after = start + timedelta(days=randomness.randrange(-20, 600))
            cases.append((event, after, after + timedelta(days=randomness.randrange(1, 70))))
    assert len(cases) > 15

    for event, after, before in cases:
        async with database.session() as session:
            found = (await occurrences.dates_between(session, [event], after, before)).get(
                event.id, []
            )
        expected = rule_dates(
            event.rrule, event.start_time, event.end_time, event.timezone,
            after=after, before=before, exdates=exdate_dates(event.exdates),
        )  # fmt: skip
        assert found == expected, (event.rrule, event.start_time, after, before)


def test_the_written_dates_and_the_rule_agree_whatever_the_horizon() -> None:
    """Without a database: rows up to any horizon, then the rule from there, make the rule."""
    randomness = random.Random(11)
    for _ in range(300):
        rule = randomness.choice(RULES)
        start = (
            datetime(2026, 1, 1, tzinfo=GENEVA)
            + timedelta(days=randomness.randrange(800), minutes=30 * randomness.randrange(48))
        ).astimezone(UTC)
        try:
            rule = validate_rule(rule, start, "Europe/Zurich")
        except RecurrenceError:
            continue
        end = start + timedelta(hours=randomness.choice([1, 2, 26]))
        skipped = tuple(
            (start + timedelta(days=randomness.randrange(300))).astimezone(GENEVA).date()
            for _ in range(2)
        )
        horizon = start + timedelta(days=randomness.randrange(-10, 400))
        written = expand_until(rule, start, end, "Europe/Zurich", skipped, horizon)
        after = start + timedelta(days=randomness.randrange(-5, 500))
        before = after + timedelta(days=randomness.randrange(1, 60))
        row = replace_until(rule, start, end, skipped, written.until)
        table = [d for d in written.dates if d.start < before and (d.end or d.start) >= after]
        found = table + list(occurrences.beyond_rows(row, after, before))
        expected = rule_dates(
            rule, start, end, "Europe/Zurich", after=after, before=before, exdates=skipped
        )
        assert found == expected, (rule, start, horizon, after, before)


def replace_until(
    rule: str,
    start: datetime,
    end: datetime | None,
    skipped: tuple[date, ...],
    until: datetime | None,
) -> Event:
    return Event(
        rrule=rule, start_time=start, end_time=end, timezone="Europe/Zurich",
        exdates={"dates": [day.isoformat() for day in skipped]}, occurrences_until=until,
    )  # fmt: skip


def test_a_date_lasting_more_than_a_day_is_long() -> None:
    start = datetime(2026, 6, 1, 8, tzinfo=UTC)
    assert not occurrences.is_long(Occurrence(start, None))
    assert not occurrences.is_long(Occurrence(start, start + timedelta(hours=24)))
    assert occurrences.is_long(Occurrence(start, start + timedelta(hours=25)))
