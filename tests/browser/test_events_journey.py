"""A weekly event of a collective, in a real browser, from its form to the neighbours' calendars.

Amina facilitates the Maison de quartier des Pâquis: she publishes a workshop that repeats every
Saturday, at a place with its address and coordinates. Yves finds it in the agenda and takes
part on that Saturday; both then see one more participant on that date, and none on the series
as a whole. The agenda's month view has it on every Saturday, the
map lists its place, and "Ajouter à mon calendrier" gives an iCalendar file that repeats it in
Geneva's time zone. Every step goes through labelled, keyboard-reachable controls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import icalendar
import pytest
from babel.dates import format_date

from tests.browser.browser_support import (
    PASSWORD,
    LiveInstance,
    new_context,
    prepare_instance,
    screenshot,
)
from webui import i18n
from webui.leaflet import leaflet_files_present

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

catalog = i18n.translations("fr")
fr = catalog.gettext
GENEVA = ZoneInfo("Europe/Zurich")
SATURDAY = 5
TITLE = "Atelier vélo du samedi"
COLLECTIVE = "Maison de quartier des Pâquis"
PLACE = "Maison de quartier des Pâquis"
STREET = "Rue de Berne 50"
POSTAL_CODE = "1201"
LOCALITY = "Genève"
LATITUDE, LONGITUDE = "46.2113", "6.1467"
TILES = "https://tile.openstreetmap.org/**"
LEAFLET_INSTALLED = leaflet_files_present()


def field(label: str) -> re.Pattern[str]:
    """A field's accessible name: its label, with the "*" of a required field or not."""
    return re.compile(rf"^{re.escape(label)}\s*\*?$")


def participants(count: int, on: str = "") -> str:
    """ "N people take part", ``on`` "this date" or "every date"."""
    singular, plural = "%(num)s person takes part", "%(num)s people take part"
    if on:
        singular, plural = f"{singular} {on}", f"{plural} {on}"
    return catalog.ngettext(singular, plural, count) % {"num": count}


@pytest.fixture(scope="module")
def paquis(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    """A Pâquis of this journey's own: its month grid must hold this journey's events alone,
    while the instance the other browser tests share gets their weekly series on its Saturdays."""
    instance = prepare_instance(tmp_path_factory.mktemp("events-journey"), "paquis")
    with instance.serving():
        yield instance


def next_saturday(today: date) -> date:
    """The first Saturday after today (never today: the event is in the coming weeks)."""
    return today + timedelta(days=(SATURDAY - today.weekday() - 1) % 7 + 1)


def saturdays_of(month: date) -> list[date]:
    first = month.replace(day=1)
    day = first + timedelta(days=(SATURDAY - first.weekday()) % 7)
    found = []
    while day.month == first.month:
        found.append(day)
        day += timedelta(days=7)
    return found


async def log_in(context: BrowserContext, instance: LiveInstance, username: str) -> Page:
    page = await context.new_page()
    await page.goto(instance.url("/"))
    await page.get_by_role("navigation").get_by_role("link", name=fr("Log in")).click()
    await page.get_by_label(field(fr("Account name"))).fill(username)
    await page.get_by_label(field(fr("Password"))).fill(PASSWORD)
    await page.get_by_label(field(fr("Password"))).press("Enter")
    await page.wait_for_load_state()
    assert await page.get_by_role("button", name=fr("Log out")).count() == 1, await page.content()
    return page


async def press(page: Page, name: str) -> None:
    """Reach a button with the keyboard and press it, as without a mouse."""
    button = page.get_by_role("button", name=name, exact=True)
    await button.focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def test_a_facilitator_publishes_a_weekly_event_a_neighbour_takes_part_and_adds_it(
    browser: Browser, paquis: LiveInstance, tmp_path: Path
) -> None:
    # Given Amina, who facilitates the Maison de quartier, and her neighbour Yves
    paquis.create_account("amina", name="Amina")
    paquis.create_account("yves", name="Yves")
    paquis.create_group("mqpaquis", "space", "amina", COLLECTIVE)
    today = datetime.now(GENEVA).date()
    first = next_saturday(today)
    organiser_context = await new_context(browser)
    await organiser_context.route(TILES, lambda route: route.abort())
    page = await log_in(organiser_context, paquis, "amina")

    # When she fills in the event form for the collective: every Saturday, 10:00 to 12:00
    # (no page links to the form yet: she opens its address)
    await page.goto(paquis.url("/events/new"))
    assert await page.get_by_role("heading", name=fr("New event")).is_visible()
    await page.get_by_label(fr("Organised by")).select_option(label=COLLECTIVE)
    await page.get_by_label(field(fr("Title"))).fill(TITLE)
    await page.get_by_label(fr("Description"), exact=True).fill(
        "On répare vos vélos ensemble, outils fournis."
    )
    await page.get_by_label(field(fr("Starts"))).fill(f"{first.isoformat()}T10:00")
    await page.get_by_label(fr("Ends (optional)")).fill(f"{first.isoformat()}T12:00")
    await page.get_by_label(fr("Name of the place")).fill(PLACE)
    await page.get_by_label(fr("Street and number")).fill(STREET)
    await page.get_by_label(fr("Postal code")).fill(POSTAL_CODE)
    await page.get_by_label(fr("Locality")).fill(LOCALITY)
    # (the repetition, category and coordinates are behind "More options")
    more = fr("More options: repetition, places, online link, time zone, map")
    await page.locator("summary", has_text=more).click()
    await page.get_by_label(fr("Category")).select_option(label=fr("Workshop"))
    await page.get_by_label(fr("Repeats")).select_option(label=fr("Every week, on the same day"))
    await page.get_by_label(fr("Latitude")).fill(LATITUDE)
    await page.get_by_label(fr("Longitude")).fill(LONGITUDE)
    await screenshot(page, "event-form")
    await press(page, fr("Publish the event"))

    # Then the event's page shows it, repeating, at its place, with nobody yet
    assert await page.get_by_role("alert").count() == 0, await page.content()
    assert await page.get_by_role("heading", name=TITLE).is_visible()
    event_url = page.url
    uuid = event_url.rsplit("/", 1)[-1]
    assert re.fullmatch(r"[0-9a-f-]{36}", uuid), event_url
    assert await page.get_by_text(COLLECTIVE).count() >= 1
    assert await page.get_by_text(STREET).count() == 1
    assert await page.get_by_text(participants(0, "in every date")).count() == 1
    upcoming = page.get_by_role("heading", name=fr("Next dates")).locator("xpath=..")
    assert await upcoming.get_by_role("link").count() >= 4
    # and where Leaflet is installed, a small map of the venue with its marker
    if LEAFLET_INSTALLED:
        venue = page.get_by_role("region", name=fr("Map of the venue"))
        await venue.wait_for(state="visible")
        assert await venue.get_by_role("button", name=TITLE).count() == 1

    # When Yves finds it in the agenda of the neighbourhood and takes part
    neighbour_context = await new_context(browser)
    await neighbour_context.route(TILES, lambda route: route.abort())
    neighbour = await log_in(neighbour_context, paquis, "yves")
    main_menu = neighbour.get_by_role("navigation", name=fr("Main menu"))
    await main_menu.get_by_role("link", name=fr("Agenda")).click()
    await neighbour.get_by_role("link", name=TITLE).first.click()
    await neighbour.wait_for_load_state()
    assert await neighbour.get_by_role("heading", name=TITLE).is_visible()
    assert "/occurrences/" in neighbour.url, neighbour.url  # the agenda links a date
    await press(neighbour, fr("Take part on this date"))

    # Then he is told he takes part, and the date's page counts him
    assert await neighbour.get_by_text(fr("You take part. See you there!")).count() == 1
    assert await neighbour.get_by_text(participants(1, "on this date")).count() == 1
    assert await neighbour.get_by_role("button", name=fr("Unregister")).count() == 1

    # And Amina sees one participant more on that date of the next ones, Yves among them
    await page.reload()
    assert await page.get_by_text(participants(0, "in every date")).count() == 1
    assert await upcoming.get_by_text(participants(1)).count() == 1
    await screenshot(page, "event-page")
    organise = page.get_by_role("navigation", name=fr("Organise"))
    await organise.get_by_role("link", name=fr("Participants")).click()
    assert await page.get_by_role("link", name="Yves").count() == 1
    await organiser_context.close()

    # When Yves looks at next month in the agenda's month view (all of it after the first date)
    await main_menu.get_by_role("link", name=fr("Agenda")).click()
    views = neighbour.get_by_role("navigation", name=fr("Views"))
    await views.get_by_role("link", name=fr("Month")).click()
    period = neighbour.get_by_role("navigation", name=fr("Period"))
    await period.get_by_role("link", name=re.compile(fr("Next"))).click()
    await neighbour.wait_for_load_state()
    month = (today.replace(day=1) + timedelta(days=31)).replace(day=1)
    month_title = format_date(month, "LLLL yyyy", locale="fr").capitalize()
    assert await neighbour.get_by_role("heading", name=month_title, exact=True).is_visible()
    await screenshot(neighbour, "agenda-month")

    # Then every Saturday of that month has the workshop, named in its cell, and no other day
    grid = neighbour.get_by_role("table")
    one_event = catalog.ngettext("%(num)s event", "%(num)s events", 1) % {"num": 1}
    saturdays = saturdays_of(month)
    assert len(saturdays) >= 4
    for saturday in saturdays:
        name = f"{saturday.day} {one_event}"
        assert await grid.get_by_role("link", name=name, exact=True).count() == 1, saturday
        heading = format_date(saturday, "full", locale="fr").capitalize()
        day = neighbour.get_by_role("region", name=heading, exact=True)
        assert await day.get_by_role("link", name=TITLE, exact=True).count() == 1, heading
    assert await grid.get_by_role("link", name=TITLE, exact=True).count() == len(saturdays)
    titled = await neighbour.get_by_role("link", name=TITLE, exact=True).count()
    assert titled == 2 * len(saturdays)

    # When he opens the map
    await main_menu.get_by_role("link", name=fr("Map")).click()
    await neighbour.wait_for_load_state()

    # Then the workshop is listed with its address (with or without Leaflet)
    listed = neighbour.get_by_role("region", name=fr("Upcoming events"))
    card = listed.get_by_role("listitem").filter(has_text=TITLE)
    assert await card.count() == 1
    address = f"{PLACE}, {STREET}, {POSTAL_CODE} {LOCALITY}"
    assert await card.get_by_text(address, exact=True).count() == 1
    # And where Leaflet is installed the map is drawn, with the workshop's marker
    if LEAFLET_INSTALLED:
        drawn = neighbour.get_by_role("region", name=fr("Map of the places and events below"))
        await drawn.wait_for(state="visible")
        assert await drawn.get_by_role("button", name=TITLE).count() == 1
        # with its zoom buttons named in French
        assert await drawn.get_by_role("button", name=fr("Zoom in")).count() == 1
        assert await drawn.get_by_role("button", name=fr("Zoom out")).count() == 1
    await screenshot(neighbour, "map")

    # When he adds the event to his calendar from its page
    await neighbour.goto(event_url)
    async with neighbour.expect_download() as download_info:
        await neighbour.get_by_role("link", name=fr("Add to my calendar")).click()
    download = await download_info.value
    assert download.suggested_filename == f"{uuid}.ics"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    await neighbour_context.close()

    # Then the file is a calendar that repeats the workshop every Saturday, in Geneva's time
    raw = saved.read_bytes()
    assert re.search(rb"^DTSTART;TZID=Europe/Zurich:\d{8}T100000\r$", raw, re.MULTILINE), raw
    parsed = icalendar.Calendar.from_ical(raw)
    (event,) = parsed.walk("VEVENT")
    assert str(event["SUMMARY"]) == TITLE
    assert event["DTSTART"].params["TZID"] == "Europe/Zurich"
    start = event.decoded("DTSTART")
    assert start == datetime(first.year, first.month, first.day, 10, tzinfo=GENEVA)
    rule = event["RRULE"]
    assert isinstance(rule, icalendar.vRecur), rule
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["SA"], rule
    assert STREET in str(event["LOCATION"])
    assert event["GEO"].to_ical() == "46.2113;6.1467", event["GEO"].to_ical()
    assert any(zone["TZID"] == "Europe/Zurich" for zone in parsed.walk("VTIMEZONE"))
