"""The agenda pages, their feeds, my calendar at a secret address."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx2
from icalendar import Calendar
from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import Account, Rsvp, utcnow
from tests.commons.agenda.test_agenda import add_collective, add_event, geneva, neighbourhood
from tests.webui.web_support import log_in_as, session_cookie
from webui.session import SESSION_COOKIE

HTML = {"Accept": "text/html", "Accept-Language": "fr"}


def alternates(page: str) -> dict[str, str]:
    found = re.findall(r'<link rel="alternate" type="([^"]+)" href="([^"]+)"', page)
    return dict(found)


async def test_a_day_at_the_ends_of_the_calendar_opens_the_agenda_on_today(
    client: httpx2.AsyncClient,
) -> None:
    # The days, weeks and months around them cannot be counted: a 500 before
    for view in ("day", "week", "month"):
        for edge in ("0001-01-01", "9999-12-31"):
            response = await client.get(f"/agenda?view={view}&date={edge}", headers=HTML)
            assert response.status_code == 200, (view, edge)
            assert str(utcnow().year) in response.text


async def test_the_month_view_shows_each_saturday_of_the_series(
    client: httpx2.AsyncClient, database: Database
) -> None:
    # Given the neighbourhood's events
    await neighbourhood(database)

    # When a resident opens May 2026 in the neighbourhood agenda
    response = await client.get("/agenda?view=month&date=2026-05-01", headers=HTML)

    # Then the five Saturdays show the repair café at 10:00, each linking to its occurrence
    assert response.status_code == 200
    page = response.text
    assert "Mai 2026" in page
    for day in ("02", "09", "16", "23", "30"):
        assert f"/events/repair-café/occurrences/2026-05-{day}" in page
    assert page.count(">10:00–13:00<") == 5
    # And prev/next/today links and the month grid are there
    assert "?view=month&amp;date=2026-04-01" in page
    assert "?view=month&amp;date=2026-06-01" in page
    assert 'class="month-grid"' in page


async def test_week_and_day_views_filters_and_cancelled(
    client: httpx2.AsyncClient, database: Database
) -> None:
    # Given the events of April
    world = await neighbourhood(database)
    for hour in range(11, 17):
        await add_event(database, world["forum"], f"Atelier {hour}h", geneva(2026, 4, 11, hour, 0))

    # When the week of 6 April is shown, then the day of 11 April
    week = (await client.get("/agenda?view=week&date=2026-04-08", headers=HTML)).text
    day = (await client.get("/agenda?view=day&date=2026-04-11", headers=HTML)).text

    # Then the week shows the first six of Saturday and a link to see the rest
    assert "Atelier 15h" in week
    assert "Atelier 16h" not in week
    assert "Voir tout (1 autre événement)" in week
    assert "/agenda?view=day&amp;date=2026-04-11" in week
    assert "Atelier 16h" in day
    # And the cancelled walk is struck through and says so
    assert "<del>Safari urbain</del>" in week
    assert "Annulé" in week

    # When filtered by category and by collective (a GET form, no JavaScript)
    debate = (await client.get("/agenda?view=month&date=2026-04-01&category=debate")).text
    forum = (await client.get("/agenda?view=month&date=2026-04-01&collective=forum")).text
    assert "Débat mobilité" in debate
    assert "Repair café" not in debate
    assert 'value="debate" selected' in debate
    assert "Safari urbain" in forum
    assert "Repair café" not in forum


async def test_remote_events_are_in_the_city_view_only(
    client: httpx2.AsyncClient, database: Database
) -> None:
    # Given a remote event from Jonction
    await neighbourhood(database)

    # When both agendas are shown for April
    local = (await client.get("/agenda?view=month&date=2026-04-01", headers=HTML)).text
    city = (await client.get("/agenda/city?view=month&date=2026-04-01", headers=HTML)).text

    # Then only the city shows it, linking to our page of it, which links to its origin
    assert "Plantation" not in local
    assert "Plantation" in city
    found = re.search(r'href="(/events/remote/\d+)"', city)
    assert found is not None
    page = (await client.get(found.group(1), headers=HTML)).text
    assert "Plantation" in page and 'href="https://jonction.test/e/plantation"' in page


async def test_upcoming_and_past_lists(client: httpx2.AsyncClient, database: Database) -> None:
    # Given one event tomorrow and one last week
    forum = await add_collective(database, "forum")
    now = datetime.now(UTC)
    await add_event(database, forum, "Demain", now + timedelta(days=1))
    await add_event(database, forum, "Vide-grenier", now - timedelta(days=7))

    # When the default agenda and the past are shown
    upcoming = (await client.get("/agenda", headers=HTML)).text
    past = (await client.get("/agenda?when=past", headers=HTML)).text

    # Then each shows its own
    assert "Demain" in upcoming
    assert "Vide-grenier" not in upcoming
    assert "Vide-grenier" in past
    assert "Demain" not in past


async def test_the_collective_agenda_and_its_feeds(
    client: httpx2.AsyncClient, database: Database
) -> None:
    # Given the forum's events
    await neighbourhood(database)

    # When its agenda page is opened
    response = await client.get("/agenda/collective/forum?view=month&date=2026-04-01")

    # Then it shows its events only and advertises its feeds
    assert response.status_code == 200
    assert "Débat mobilité" in response.text
    assert "Repair café" not in response.text
    assert alternates(response.text) == {
        "text/calendar": "/agenda/collective/forum.ics",
        "application/atom+xml": "/agenda/collective/forum.atom",
    }
    assert (await client.get("/agenda/collective/nobody")).status_code == 404


async def test_every_agenda_page_advertises_its_feeds(
    client: httpx2.AsyncClient, database: Database
) -> None:
    await neighbourhood(database)
    for path, feeds in {
        "/agenda": ("/agenda.ics", "/agenda.atom"),
        "/agenda/city": ("/agenda/city.ics", "/agenda/city.atom"),
        "/map": ("/agenda/city.ics", "/agenda/city.atom"),
    }.items():
        page = (await client.get(path)).text
        assert alternates(page) == {"text/calendar": feeds[0], "application/atom+xml": feeds[1]}
        for feed in feeds:
            assert (await client.get(feed)).status_code == 200


async def test_the_city_calendar_feed(client: httpx2.AsyncClient, database: Database) -> None:
    # Given local and remote events coming soon, a weekly one among them
    world = await neighbourhood(database)
    now = datetime.now(UTC)
    await add_event(database, world["jonction"], "Troc", now + timedelta(days=3))
    await add_event(database, world["forum"], "Soupe", now + timedelta(days=2), rrule="FREQ=WEEKLY")

    # When the city and the neighbourhood feeds are fetched twice
    first = await client.get("/agenda/city.ics")
    second = await client.get("/agenda/city.ics")
    local = Calendar.from_ical((await client.get("/agenda.ics")).content)

    # Then they parse, with stable UIDs, the remote event in the city only
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    city = Calendar.from_ical(first.content)
    uids = [str(e["UID"]) for e in city.walk("VEVENT")]
    assert uids == [str(e["UID"]) for e in Calendar.from_ical(second.content).walk("VEVENT")]
    assert "https://jonction.test/events/troc" in uids
    assert "https://jonction.test/events/troc" not in [str(e["UID"]) for e in local.walk("VEVENT")]
    soup = next(e for e in city.walk("VEVENT") if str(e["SUMMARY"]) == "Soupe")
    assert soup["DTSTART"].params["TZID"] == "Europe/Zurich"
    assert "RRULE" in soup
    assert city.walk("VTIMEZONE")


async def test_one_event_to_add_to_my_calendar(
    client: httpx2.AsyncClient, database: Database
) -> None:
    # Given a local event
    world = await neighbourhood(database)
    assert world["debate"].uri.endswith("/events/débat-mobilité")

    # When its .ics is downloaded
    response = await client.get("/events/débat-mobilité.ics")

    # Then it is an attachment with that one event
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [world["debate"].uri]
    assert (await client.get("/events/nothing-here.ics")).status_code == 404


async def test_the_atom_feed_lists_upcoming_events(
    client: httpx2.AsyncClient, database: Database
) -> None:
    import xml.etree.ElementTree as ET

    forum = await add_collective(database, "forum")
    await add_event(database, forum, "Assemblée", datetime.now(UTC) + timedelta(days=4))
    response = await client.get("/agenda.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert [e.findtext("{http://www.w3.org/2005/Atom}title") for e in entries] == ["Assemblée"]


async def test_my_calendar_at_a_secret_address(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    # Given a resident who joined the debate and one Saturday of the repair café
    world = await neighbourhood(database)
    me = await log_in_as(client, settings, database, "alice")
    async with database.transaction() as session:
        session.add(Rsvp(event_id=world["debate"].id, actor_id=me.actor.id, state="accepted"))
        session.add(
            Rsvp(
                event_id=world["series"].id,
                actor_id=me.actor.id,
                occurrence=geneva(2026, 4, 11, 10, 0),
                state="accepted",
            )
        )
        session.add(Rsvp(event_id=world["walk"].id, actor_id=me.actor.id, state="pending"))

    # When she opens /calendar for the first time
    page = await client.get("/calendar", headers=HTML)

    # Then a secret address is made and shown
    assert page.status_code == 200
    async with database.session() as session:
        token = await session.scalar(
            select(Account.calendar_token).where(Account.id == me.account.id)
        )
    assert token
    assert f"http://paquis.test/calendar/{token}.ics" in page.text

    # And that address gives the events she joined, the series' Saturday only
    client.cookies.clear()  # the secret address needs no session
    feed = await client.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events) == ["Débat mobilité", "Repair café"]
    saturday = next(e for e in events if str(e["SUMMARY"]) == "Repair café")
    assert "RRULE" not in saturday
    assert saturday.decoded("DTSTART").date().isoformat() == "2026-04-11"
    assert (await client.get("/calendar/wrong-token.ics")).status_code == 404

    # When she asks for a new address, with the form of her calendar page
    client.cookies.set(
        SESSION_COOKIE,
        session_cookie(settings, me.session),
    )
    page = (await client.get("/calendar")).text
    form = re.search(r'action="/calendar/rotate".*?name="csrf_token" value="([^"]*)"', page, re.S)
    assert form is not None
    rotated = await client.post("/calendar/rotate", data={"csrf_token": form.group(1)})

    # Then the old address is closed and a new one works
    assert rotated.status_code == 303
    assert (await client.get(f"/calendar/{token}.ics")).status_code == 404
    async with database.session() as session:
        new = await session.scalar(
            select(Account.calendar_token).where(Account.id == me.account.id)
        )
    assert new and new != token
    assert (await client.get(f"/calendar/{new}.ics")).status_code == 200


async def test_every_post_refuses_a_missing_csrf_token(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    await log_in_as(client, settings, database, "alice")
    assert (await client.post("/calendar/rotate", data={})).status_code == 403
    assert (await client.post("/calendar/rotate", data={"csrf_token": "forged"})).status_code == 403


async def test_my_calendar_needs_a_login(client: httpx2.AsyncClient) -> None:
    response = await client.get("/calendar", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_a_remote_javascript_url_never_reaches_a_link(
    client: httpx2.AsyncClient, database: Database
) -> None:
    # Given a remote event whose url is a javascript: address
    world = await neighbourhood(database)
    await add_event(
        database,
        world["jonction"],
        "Piège",
        geneva(2026, 4, 20, 18, 0),
        slug="piege",
        url="javascript:alert(1)",
    )

    # When the city agenda shows it, and our page of it
    page = (await client.get("/agenda/city?view=day&date=2026-04-20")).text
    found = re.search(r'href="(/events/remote/\d+)"', page)
    assert found is not None
    event_page = (await client.get(found.group(1))).text

    # Then the agenda links to our page, which links to the event's id instead
    assert "javascript:" not in page and "javascript:" not in event_page
    assert 'href="https://jonction.test/events/piege"' in event_page
