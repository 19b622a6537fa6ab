"""iCalendar and Atom feeds: they parse back, keep UIDs, zones, rules and cancellations."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from commons.agenda.feeds import AtomFeed, FeedEntry, build_atom, build_calendar, fold
from commons.agenda.queries import AgendaQuery, feed_events
from storage.database import Database
from tests.commons.agenda.test_agenda import add_event, geneva, neighbourhood

ATOM = "{http://www.w3.org/2005/Atom}"


async def entries(database: Database, query: AgendaQuery) -> list[FeedEntry]:
    async with database.session() as session:
        pairs = await feed_events(
            session,
            query,
            after=geneva(2026, 4, 1, 0, 0),
            before=geneva(2026, 5, 1, 0, 0),
            limit=100,
        )
    return [FeedEntry(event, actor, event.url or event.uri) for event, actor in pairs]


async def test_the_calendar_parses_back_with_zones_rules_and_status(database: Database) -> None:
    # Given the events of April 2026, a weekly series among them
    world = await neighbourhood(database)
    await add_event(
        database,
        world["forum"],
        "Fête des voisins",
        geneva(2026, 4, 25, 17, 0),
        place_name="Parc des Cropettes",
        street_address="Rue de Montbrillant",
        postal_code="1201",
        locality="Genève",
        latitude=46.2120,
        longitude=6.1400,
        description_html="<p>Apportez un plat &amp; vos voisin·es ; on partage, tout simplement, "
        "sous les arbres du parc, jusqu'à la tombée de la nuit.</p>",
    )

    # When the city calendar is built and parsed back
    body = build_calendar(await entries(database, AgendaQuery()), name="Agenda")
    calendar = Calendar.from_ical(body)

    # Then every event is there once, with its uri as UID and times in Europe/Zurich
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        "http://paquis.test/events/repair-café",
        "http://paquis.test/events/débat-mobilité",
        "http://paquis.test/events/safari-urbain",
        "https://jonction.test/events/plantation",
        "http://paquis.test/events/fête-des-voisins",
    }
    series = events["http://paquis.test/events/repair-café"]
    assert series["DTSTART"].params["TZID"] == "Europe/Zurich"
    assert series.decoded("DTSTART").hour == 10
    assert series.decoded("DTSTART").tzinfo is not None
    assert series["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=SA"
    exdate = series["EXDATE"]
    assert [d.dt.date().isoformat() for d in exdate.dts] == ["2026-04-18"]
    assert exdate.dts[0].dt.hour == 10
    assert [c["TZID"] for c in calendar.walk("VTIMEZONE")] == ["Europe/Zurich"]
    assert str(events["http://paquis.test/events/safari-urbain"]["STATUS"]) == "CANCELLED"
    party = events["http://paquis.test/events/fête-des-voisins"]
    assert party.decoded("GEO") is not None
    assert str(party["LOCATION"]) == "Parc des Cropettes, Rue de Montbrillant, 1201 Genève"
    assert str(party["DESCRIPTION"]).startswith("Apportez un plat & vos voisin·es ;")
    assert "<p>" not in str(party["DESCRIPTION"])
    assert "LAST-MODIFIED" in party
    assert str(events["https://jonction.test/events/plantation"]["URL"]).startswith(
        "https://jonction"
    )


async def test_uids_and_bytes_are_stable_across_builds(database: Database) -> None:
    # Given the events, and a fixed clock for DTSTAMP
    await neighbourhood(database)
    now = datetime(2026, 4, 1, tzinfo=UTC)

    # When the calendar is built twice
    first = build_calendar(await entries(database, AgendaQuery()), name="Agenda", now=now)
    second = build_calendar(await entries(database, AgendaQuery()), name="Agenda", now=now)

    # Then it is the same, line for line, with no line over 75 octets
    assert first == second
    assert all(len(line) <= 75 for line in first.split(b"\r\n"))


def test_folding_never_cuts_a_character() -> None:
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line)
    assert all(len(part) <= 75 for part in folded.split(b"\r\n"))
    assert folded.decode().replace("\r\n ", "") == line + "\r\n"


async def test_the_atom_feed_has_one_entry_per_event(database: Database) -> None:
    # Given the local events of April
    await neighbourhood(database)
    found = await entries(database, AgendaQuery(local_only=True))
    feed = AtomFeed(
        feed_id="http://paquis.test/agenda.atom",
        title="Agenda du quartier",
        page_url="http://paquis.test/agenda",
        feed_url="http://paquis.test/agenda.atom",
        language="fr",
    )

    # When the Atom feed is built and parsed
    body = build_atom(feed, found, summarise=lambda entry: f"Résumé {entry.event.title}")
    root = ET.fromstring(body)  # noqa: S314 - our own feed

    # Then it is an Atom feed whose entries are the events, in time order, with links
    assert root.tag == f"{ATOM}feed"
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == ["Repair café", "Débat mobilité", "Safari urbain"]
    first = root.findall(f"{ATOM}entry")[0]
    assert first.findtext(f"{ATOM}id") == "http://paquis.test/events/repair-café"
    assert first.findtext(f"{ATOM}summary") == "Résumé Repair café"
    assert first.find(f"{ATOM}link").get("href") == "http://paquis.test/events/repair-café"  # type: ignore[union-attr]


def test_a_feed_of_a_thousand_events_is_built() -> None:
    # A smoke test of size only: timings are measured in bench/agenda.py
    from storage.models import Actor, Event

    organiser = Actor(uri="https://jonction.test/c/x", username="x", name="X")
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    entries = [
        FeedEntry(
            Event(
                uri=f"https://jonction.test/e/{n}",
                title=f"Événement {n}",
                start_time=start + timedelta(hours=n),
                end_time=start + timedelta(hours=n + 1),
                timezone="Europe/Zurich",
                status="confirmed",
                description_html="",
                published=start,
            ),
            organiser,
            f"https://jonction.test/e/{n}",
        )
        for n in range(1000)
    ]
    calendar = Calendar.from_ical(build_calendar(entries, name="Ville"))
    assert len(calendar.walk("VEVENT")) == 1000
