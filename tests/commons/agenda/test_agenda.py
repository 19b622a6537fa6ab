"""The agenda queries: windows of local days, series expanded, scopes and filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from commons.agenda.queries import (
    AgendaQuery,
    Window,
    agenda_days,
    exdate_dates,
    expand_series,
    flatten,
    past_days,
    upcoming_days,
)
from commons.events.dates import refresh_occurrences
from storage.database import Database
from storage.models import Actor, Event
from storage.models.actors import GROUP

GENEVA = ZoneInfo("Europe/Zurich")
HERE = "http://paquis.test"


def geneva(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=GENEVA).astimezone(UTC)  # type: ignore[misc]


async def add_collective(
    database: Database,
    username: str,
    *,
    domain: str = "paquis.test",
    name: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    **fields: Any,
) -> Actor:
    is_local = domain == "paquis.test"
    uri = f"http://{domain}/@{username}" if is_local else f"https://{domain}/c/{username}"
    async with database.transaction() as session:
        actor = Actor(
            uri=uri,
            type=GROUP,
            username=username,
            domain=domain,
            is_local=is_local,
            name=name or username,
            url=uri,
            inbox_uri=f"{uri}/inbox",
            public_key_id=f"{uri}#main-key",
            public_key_pem="-----BEGIN PUBLIC KEY-----",
            group_kind="space",
            latitude=latitude,
            longitude=longitude,
            **fields,
        )
        session.add(actor)
    return actor


async def add_event(
    database: Database,
    organiser: Actor,
    title: str,
    start: datetime,
    *,
    hours: float = 2,
    slug: str | None = None,
    **fields: Any,
) -> Event:
    slug = slug or title.lower().replace(" ", "-")
    if organiser.is_local:
        uri, url = f"{HERE}/events/{slug}", f"{HERE}/events/{slug}"
    else:
        uri = f"https://{organiser.domain}/events/{slug}"
        url = f"https://{organiser.domain}/e/{slug}"
    url = fields.pop("url", url)
    async with database.transaction() as session:
        event = Event(
            uri=uri,
            url=url,
            actor_id=organiser.id,
            is_local=organiser.is_local,
            title=title,
            start_time=start,
            end_time=start + timedelta(hours=hours),
            timezone="Europe/Zurich",
            published=start - timedelta(days=30),
            **fields,
        )
        session.add(event)
        await refresh_occurrences(session, event)
    return event


async def neighbourhood(database: Database) -> dict[str, Any]:
    """Pâquis (here) with a weekly repair café, a debate, a cancelled walk; Jonction far away."""
    repair = await add_collective(database, "repair-cafe", name="Repair Café des Pâquis")
    forum = await add_collective(database, "forum", name="Forum de quartier")
    jonction = await add_collective(database, "jardin", domain="jonction.test", name="Jardin")
    series = await add_event(
        database,
        repair,
        "Repair café",
        geneva(2026, 3, 7, 10, 0),
        hours=3,
        rrule="FREQ=WEEKLY;BYDAY=SA",
        category="repair",
        place_name="Maison de quartier",
        exdates={"dates": ["2026-04-18"]},
    )
    debate = await add_event(
        database, forum, "Débat mobilité", geneva(2026, 4, 9, 19, 0), category="debate"
    )
    walk = await add_event(
        database, forum, "Safari urbain", geneva(2026, 4, 12, 14, 0), status="cancelled"
    )
    remote = await add_event(
        database, jonction, "Plantation", geneva(2026, 4, 11, 9, 30), category="garden"
    )
    return {
        "repair": repair,
        "forum": forum,
        "jonction": jonction,
        "series": series,
        "debate": debate,
        "walk": walk,
        "remote": remote,
    }


def month(year: int, number: int) -> Window:
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Window(first, (following - first).days, GENEVA)


async def test_a_weekly_series_shows_once_a_week_at_ten_across_the_dst_change(
    database: Database,
) -> None:
    # Given a repair café every Saturday at 10:00 from 7 March 2026, not on 18 April
    world = await neighbourhood(database)

    # When March and April 2026 are asked for, every event of the city
    async with database.session() as session:
        march = await agenda_days(session, AgendaQuery(), month(2026, 3))
        april = await agenda_days(session, AgendaQuery(), month(2026, 4))

    # Then March has 4 repair cafés and April 3 (4 Saturdays, one skipped), all at 10:00 local
    def cafes(days: Any) -> list[datetime]:
        return [i.start for i in flatten(days) if i.event_id == world["series"].id]

    assert len(cafes(march)) == 4
    assert len(cafes(april)) == 3
    assert {moment.astimezone(GENEVA).hour for moment in cafes(march) + cafes(april)} == {10}
    assert {moment.hour for moment in cafes(march)} == {9}  # UTC+1 before 29 March
    assert {moment.hour for moment in cafes(april)} == {8}  # UTC+2 after
    assert date(2026, 4, 18) not in {m.astimezone(GENEVA).date() for m in cafes(april)}
    # And each occurrence links to its own page
    first = next(i for i in flatten(april) if i.event_id == world["series"].id)
    assert first.link(HERE) == "/events/repair-café/occurrences/2026-04-04"


async def test_october_has_five_saturdays(database: Database) -> None:
    # Given the weekly repair café
    world = await neighbourhood(database)

    # When October 2026 is asked for (summer time ends on the 25th)
    async with database.session() as session:
        days = await agenda_days(session, AgendaQuery(), month(2026, 10))

    # Then it shows five times, at 10:00 local each time
    found = [i for i in flatten(days) if i.event_id == world["series"].id]
    assert [i.start.astimezone(GENEVA).day for i in found] == [3, 10, 17, 24, 31]
    assert {i.start.astimezone(GENEVA).hour for i in found} == {10}


async def test_days_weeks_and_per_day_limits(database: Database) -> None:
    # Given a busy Saturday: the repair café and five workshops of the forum
    world = await neighbourhood(database)
    for hour in range(11, 16):
        await add_event(database, world["forum"], f"Atelier {hour}h", geneva(2026, 4, 4, hour, 0))

    # When the week of 4 April is asked with at most 3 items a day
    async with database.session() as session:
        week = await agenda_days(
            session, AgendaQuery(), Window(date(2026, 3, 30), 7, GENEVA), per_day=3
        )
        day = await agenda_days(session, AgendaQuery(), Window(date(2026, 4, 4), 1, GENEVA))

    # Then Saturday counts 6 events and shows the first 3, in time order; the day shows all
    saturday = week[5]
    assert saturday.day == date(2026, 4, 4)
    assert saturday.total == 6
    assert [i.title for i in saturday.items] == ["Repair café", "Atelier 11h", "Atelier 12h"]
    assert saturday.hidden == 3
    assert [i.title for i in day[0].items][-1] == "Atelier 15h"
    assert len(day[0].items) == 6
    assert [d.total for d in week[:5]] == [0, 0, 0, 0, 0]


async def test_scopes_and_filters(database: Database) -> None:
    # Given local and remote events in April
    world = await neighbourhood(database)
    window = month(2026, 4)

    async with database.session() as session:
        # When the neighbourhood, the city, one collective and one category are asked for
        local = flatten(await agenda_days(session, AgendaQuery(local_only=True), window))
        city = flatten(await agenda_days(session, AgendaQuery(), window))
        forum = flatten(await agenda_days(session, AgendaQuery(actor_id=world["forum"].id), window))
        debates = flatten(await agenda_days(session, AgendaQuery(category="debate"), window))

    # Then the remote plantation is in the city only, linking to our page of it
    assert "Plantation" not in {i.title for i in local}
    plantation = next(i for i in city if i.title == "Plantation")
    assert plantation.link(HERE) == f"/events/remote/{plantation.event_id}"
    assert {i.title for i in forum} == {"Débat mobilité", "Safari urbain"}
    assert [i.title for i in debates] == ["Débat mobilité"]
    # And the cancelled walk is there, marked
    walk = next(i for i in city if i.title == "Safari urbain")
    assert walk.is_cancelled
    assert walk.link(HERE) == "/events/safari-urbain"


async def test_upcoming_and_past_from_a_moment(database: Database) -> None:
    # Given the events of April 2026
    await neighbourhood(database)
    now = geneva(2026, 4, 10, 12, 0)

    async with database.session() as session:
        # When the upcoming and the past events around 10 April noon are listed
        upcoming, _later = await upcoming_days(session, AgendaQuery(), now, GENEVA, limit=3)
        past, _earlier = await past_days(session, AgendaQuery(), now, GENEVA, limit=2)

    # Then upcoming starts after noon, in order; past is newest first
    coming = flatten(upcoming)
    assert [i.title for i in coming[:3]] == ["Plantation", "Repair café", "Safari urbain"]
    assert all(i.start >= now for i in coming)
    gone = flatten(past)
    assert gone[0].title == "Débat mobilité"
    assert all(i.start < now for i in gone)
    assert [d.day for d in past] == sorted((d.day for d in past), reverse=True)


async def test_deleted_events_are_not_shown(database: Database) -> None:
    # Given a deleted event
    world = await neighbourhood(database)
    await add_event(
        database,
        world["forum"],
        "Effacé",
        geneva(2026, 4, 20, 18, 0),
        deleted_at=datetime(2026, 4, 1, tzinfo=UTC),
    )

    # When April is asked for
    async with database.session() as session:
        items = flatten(await agenda_days(session, AgendaQuery(), month(2026, 4)))

    # Then it is not there
    assert "Effacé" not in {i.title for i in items}


def test_a_series_that_began_long_ago_is_expanded_in_the_window_only() -> None:
    # Given a weekly rule begun in 2020 and one that ended in 2025
    start = geneva(2020, 1, 4, 10, 0)
    window = (geneva(2026, 10, 1, 0, 0), geneva(2026, 11, 1, 0, 0))

    # When they are expanded for October 2026
    running = expand_series(
        "FREQ=WEEKLY;BYDAY=SA", start, start + timedelta(hours=3), "Europe/Zurich", (), *window
    )
    ended = expand_series(
        "FREQ=WEEKLY;UNTIL=20250101T000000Z", start, None, "Europe/Zurich", (), *window
    )

    # Then the running one has its five Saturdays at 10:00, the ended one none
    assert [o.start.astimezone(GENEVA).day for o in running] == [3, 10, 17, 24, 31]
    assert {o.start.astimezone(GENEVA).hour for o in running} == {10}
    assert ended == ()


def test_exception_dates_are_read_leniently() -> None:
    assert exdate_dates({"dates": ["2026-04-18", "2026-05-02T10:00:00+02:00", "nope"]}) == (
        date(2026, 4, 18),
        date(2026, 5, 2),
    )
    assert exdate_dates(["2026-04-18"]) == (date(2026, 4, 18),)
    assert exdate_dates(None) == ()


async def test_dates_begun_before_a_window_show_on_its_first_day(database: Database) -> None:
    # Given a festival of three weeks from 15 May, a night walk from 31 May 23:00 to 1 June
    # 01:00, and a debate that ended on 31 May
    world = await neighbourhood(database)
    forum = world["forum"]
    await add_event(database, forum, "Festival", geneva(2026, 5, 15, 18, 0), hours=21 * 24)
    await add_event(database, forum, "Balade de nuit", geneva(2026, 5, 31, 23, 0))
    await add_event(database, forum, "Débat de mai", geneva(2026, 5, 31, 18, 0))

    # When June is asked for, the first items of each day or all of them
    async with database.session() as session:
        firsts = await agenda_days(session, AgendaQuery(), month(2026, 6), per_day=3)
        every = await agenda_days(session, AgendaQuery(), month(2026, 6))

    # Then the two still running show on 1 June, counted, the ended one not at all
    for days in (firsts, every):
        assert [i.title for i in days[0].items] == ["Festival", "Balade de nuit"]
        assert days[0].total == 2
        assert "Débat de mai" not in {i.title for i in flatten(days)}
    assert [(d.total, [i.title for i in d.items]) for d in firsts] == [
        (d.total, [i.title for i in d.items][:3]) for d in every
    ]
