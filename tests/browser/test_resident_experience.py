"""A resident's experience in a real browser, on a computer and on a phone (390 px wide).

Sacha, admin of La Jonction, and Noé, a neighbour: the phone menu stays one short band and
opens without JavaScript; no main page scrolls sideways; an event is published with the short
form (every missing field said at once first); a photo whose description was forgotten is kept
until it is described; Noé takes part on one date of a weekly series and downloads that date
alone; Sacha follows Noé from his profile and Noé sees the unread count in the menu. The pages
are kept as screenshots in ``artifacts/screenshots/ux-*.png``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx2
import icalendar
import pytest
import pytest_asyncio
from PIL import Image
from sqlalchemy import select

from storage.models import Account
from tests.browser.browser_support import (
    LiveInstance,
    launched_browser,
    new_context,
    screenshot,
)
from webui import i18n

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from playwright.async_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.asyncio(loop_scope="module")

catalog = i18n.translations("fr")
fr = catalog.gettext
GENEVA = ZoneInfo("Europe/Zurich")
TILES = "https://tile.openstreetmap.org/**"
SERIES = "Repair Café du samedi"
ALT_TEXT = "Un vélo rouge réparé devant la maison de quartier"
PHONE_HEADER_MAX = 110
SIZES = ("desktop", "phone")


def field(label: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(label)}\s*\*?$")


def next_saturday() -> datetime:
    today = datetime.now(GENEVA).replace(hour=10, minute=0, second=0, microsecond=0)
    return today + timedelta(days=(5 - today.weekday()) % 7 + 7)


@dataclass
class Neighbourhood:
    instance: LiveInstance
    cookies: dict[str, dict[str, str]]
    series_path: str = ""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium_executable: str) -> AsyncIterator[Browser]:
    async with launched_browser(chromium_executable) as shared:
        yield shared


async def cookie_of(instance: LiveInstance, username: str) -> dict[str, str]:
    database = instance.database()
    async with database.session() as session:
        account = await session.scalar(select(Account).where(Account.username == username))
    await database.dispose()
    assert account is not None
    return await instance.session_cookie(account)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hood(jonction: LiveInstance) -> Neighbourhood:
    """Sacha (admin) with the collective "velos" and its weekly workshop; Noé, a neighbour;
    an invitation, so the invitations page has its table."""
    jonction.create_account("sacha", admin=True, name="Sacha")
    jonction.create_account("noe", name="Noé")
    jonction.create_group("velos", "project", "sacha", "Atelier vélos de la Jonction")
    cookies = {name: await cookie_of(jonction, name) for name in ("sacha", "noe")}
    result = Neighbourhood(jonction, cookies)
    first = next_saturday()
    jar = {cookies["sacha"]["name"]: cookies["sacha"]["value"]}
    async with httpx2.AsyncClient(base_url=jonction.base_url, cookies=jar) as client:
        response = await client.post("/events/new", data={
            "csrf_token": "browser-test", "organiser": "velos", "title": SERIES,
            "description": "On répare **ensemble**, outils fournis.",
            "start": first.strftime("%Y-%m-%dT%H:%M"),
            "end": (first + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Europe/Zurich", "category": "repair_cafe", "join_mode": "free",
            "place_name": "Maison de quartier de la Jonction", "repeat": "weekly",
            "comments_enabled": "1",
        }, headers={"Origin": jonction.base_url})  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
        result.series_path = response.headers["location"]
        response = await client.post(
            "/admin/invitations",
            data={"csrf_token": "browser-test", "max_uses": "3", "valid_days": "7"},
            headers={"Origin": jonction.base_url},
        )
        assert response.status_code in (200, 303), response.text[:3000]
    return result


async def open_as(
    browser: Browser, hood: Neighbourhood, who: str | None, *, phone: bool
) -> tuple[BrowserContext, Page]:
    context = await new_context(browser, phone=phone)
    await context.route(TILES, lambda route: route.abort())
    if who is not None:
        await context.add_cookies([hood.cookies[who]])  # type: ignore[list-item]
    return context, await context.new_page()


def size_of(phone: bool) -> str:
    return "phone" if phone else "desktop"


# --- phones: a short menu, nothing sideways -----------------------------------------------

VISITOR_PAGES = {
    "home": "/", "local": "/local", "city": "/city", "collectives": "/collectives",
    "collective": "/@velos", "agenda": "/agenda", "agenda-month": "/agenda?view=month",
    "map": "/map", "search": "/search?q=r%C3%A9pare", "login": "/login", "signup": "/signup",
}  # fmt: skip
RESIDENT_PAGES = {
    "my-feed": "/home", "compose": "/compose", "new-event": "/events/new",
    "settings": "/settings", "notifications": "/notifications", "my-events": "/calendar",
    "profile": "/@noe", "admin": "/admin", "admin-invitations": "/admin/invitations",
    "admin-accounts": "/admin/accounts", "admin-domains": "/admin/domains",
    "admin-health": "/admin/health",
}  # fmt: skip


@pytest.mark.parametrize("phone", [False, True], ids=SIZES)
async def test_no_main_page_is_wider_than_the_screen(
    browser: Browser, hood: Neighbourhood, phone: bool
) -> None:
    too_wide = []
    pages = [(name, path, None) for name, path in VISITOR_PAGES.items()]
    pages += [(name, path, "sacha") for name, path in RESIDENT_PAGES.items()]
    pages += [("event", hood.series_path, "noe"),
              ("event-date", f"{hood.series_path}/occurrences/"
               f"{next_saturday().date().isoformat()}", "noe")]  # fmt: skip
    for name, path, who in pages:
        # Given the page, for a visitor or a resident
        context, page = await open_as(browser, hood, who, phone=phone)
        response = await page.goto(hood.instance.url(path))
        assert response is not None and response.status == 200, (name, path)
        await page.wait_for_load_state("load")

        # Then the document is no wider than the screen (a phone would zoom out to show it all,
        # so the window's own width is not the measure)
        screen = 390 if phone else 1280
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > screen:
            too_wide.append(f"{name}: {width} px on a {screen} px screen")
        await screenshot(page, f"ux-{name}-{size_of(phone)}")
        await context.close()
    assert not too_wide, too_wide


async def test_the_phone_menu_is_one_short_band_that_opens_without_javascript(
    browser: Browser, hood: Neighbourhood
) -> None:
    for who in (None, "sacha"):
        # Given a phone without JavaScript, for a visitor and for an admin
        context = await browser.new_context(
            locale="fr-CH", viewport={"width": 390, "height": 844}, is_mobile=True,
            has_touch=True, java_script_enabled=False,
        )  # fmt: skip
        if who:
            await context.add_cookies([hood.cookies[who]])  # type: ignore[list-item]
        page = await context.new_page()
        await page.goto(hood.instance.url("/local"))

        # Then the header is one short band with the main links and "Menu"
        header = await page.locator("header.site-header").bounding_box()
        assert header is not None and header["height"] <= PHONE_HEADER_MAX, header
        menu = page.get_by_role("navigation", name=fr("Main menu"))
        assert await menu.get_by_role("link", name=fr("Agenda")).is_visible()
        assert not await menu.get_by_role("link", name=fr("Collectives")).is_visible()

        # When the Menu is opened
        await menu.locator("summary", has_text=fr("Menu")).click()

        # Then the other links show, over the page, and lead where they say
        collectives = menu.get_by_role("link", name=fr("Collectives"))
        assert await collectives.is_visible()
        await screenshot(page, f"ux-phone-menu-{'admin' if who else 'visitor'}")
        if who:
            assert await menu.get_by_role("link", name=fr("Administration")).is_visible()
            assert await menu.get_by_role("button", name=fr("Log out")).is_visible()
        await collectives.click()
        await page.wait_for_load_state()
        assert page.url.endswith("/collectives")
        await context.close()


# --- forms a neighbour can fill -------------------------------------------------------------


@pytest.mark.parametrize("phone", [False, True], ids=SIZES)
async def test_an_event_with_the_short_form(
    browser: Browser, hood: Neighbourhood, phone: bool
) -> None:
    # Given Noé on the event form
    context, page = await open_as(browser, hood, "noe", phone=phone)
    await page.goto(hood.instance.url("/agenda"))
    await page.get_by_role("link", name=fr("New event")).click()
    await page.wait_for_load_state()

    # Then the options are folded away
    assert not await page.get_by_label(fr("Repeats")).is_visible()
    assert not await page.get_by_label(fr("Time zone")).is_visible()

    # When he sends it without filling anything in
    await page.get_by_role("button", name=fr("Publish the event")).click()
    await page.wait_for_load_state()

    # Then the date, the title and the place are all asked for at once, each beside its field
    summary = page.get_by_role("alert")
    assert await summary.get_by_role("link").count() == 3, await summary.inner_text()
    for name in ("start", "title", "place_name"):
        assert await page.locator(f"#error-{name}").is_visible(), name
    await screenshot(page, f"ux-new-event-errors-{size_of(phone)}")

    # When he fills in the title, the start and the place, and publishes
    tomorrow = (datetime.now(GENEVA) + timedelta(days=1)).date().isoformat()
    title = f"Pique-nique du parc ({size_of(phone)})"
    await page.get_by_label(field(fr("Title"))).fill(title)
    await page.get_by_label(field(fr("Starts"))).fill(f"{tomorrow}T12:00")
    await page.get_by_label(fr("Name of the place")).fill("Parc des Chaumettes")
    await screenshot(page, f"ux-new-event-filled-{size_of(phone)}")
    await page.get_by_role("button", name=fr("Publish the event")).click()
    await page.wait_for_load_state()

    # Then the event's page shows it
    assert re.search(r"/events/[0-9a-f-]{36}$", page.url), page.url
    assert await page.get_by_role("heading", name=title).is_visible()
    await screenshot(page, f"ux-event-created-{size_of(phone)}")
    await context.close()


@pytest.mark.parametrize("phone", [False, True], ids=SIZES)
async def test_a_photo_is_kept_until_it_is_described(
    browser: Browser, hood: Neighbourhood, phone: bool, tmp_path: Path
) -> None:
    photo = tmp_path / "velo.png"
    Image.new("RGB", (120, 90), (190, 40, 40)).save(photo, format="PNG")
    text = f"Le vélo de Madame Rossi roule de nouveau ({size_of(phone)})"

    # Given Noé on the neighbourhood's page, with its short compose box
    context, page = await open_as(browser, hood, "noe", phone=phone)
    await page.goto(hood.instance.url("/local"))

    # When he writes, adds a photo right there, forgets its description and publishes
    await page.get_by_label(fr("Your message")).fill(text)
    await page.get_by_label(fr("Add a photo (optional)")).set_input_files(photo)
    await page.get_by_role("button", name=fr("Publish"), exact=True).click()
    await page.wait_for_load_state()

    # Then his text and his photo are still there, and the description is asked for
    assert await page.get_by_label(field(fr("Your message"))).input_value() == text
    assert await page.locator(".kept-image img").is_visible()
    alt_label = fr("Description of image %(number)d (required with the image)") % {"number": 1}
    assert await page.locator("#error-alt1").is_visible()
    await screenshot(page, f"ux-compose-photo-kept-{size_of(phone)}")

    # When he only describes it and publishes
    await page.get_by_label(field(alt_label)).fill(ALT_TEXT)
    await page.get_by_role("button", name=fr("Publish"), exact=True).click()
    await page.wait_for_load_state()

    # Then the post shows the photo he chose the first time, with its description
    image = page.get_by_role("img", name=ALT_TEXT)
    assert await image.count() == 1
    # (once it has loaded: on a busy machine the page is there before its image)
    width = await image.evaluate(
        "img => img.complete && img.naturalWidth ? img.naturalWidth"
        " : new Promise(done => { img.onload = () => done(img.naturalWidth);"
        " img.onerror = () => done(0); })"
    )
    assert width == 120
    await context.close()


# --- events, and being kept informed --------------------------------------------------------


@pytest.mark.parametrize("phone", [False, True], ids=SIZES)
async def test_taking_part_on_one_date_and_adding_that_date_alone(
    browser: Browser, hood: Neighbourhood, phone: bool, tmp_path: Path
) -> None:
    week = 2 if phone else 1
    day = (next_saturday() + timedelta(weeks=week)).date()

    # Given Noé on the home page, which shows the weekly workshop once, at its next date
    context, page = await open_as(browser, hood, "noe", phone=phone)
    await page.goto(hood.instance.url("/"))
    upcoming = page.get_by_role("region", name=fr("Coming up in the neighbourhood"))
    assert await upcoming.get_by_role("link", name=SERIES).count() == 1
    await upcoming.get_by_role("link", name=SERIES).click()
    await page.wait_for_load_state()

    # When he opens a later date of it and takes part on that date
    await page.goto(hood.instance.url(f"{hood.series_path}/occurrences/{day.isoformat()}"))
    await page.get_by_role("button", name=fr("Take part on this date")).click()
    await page.wait_for_load_state()
    assert await page.get_by_text(fr("You take part. See you there!")).count() == 1

    # And he adds it to his calendar
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=fr("Add to my calendar")).click()
    download = await download_info.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)

    # Then the file holds that date alone, its description as text
    (event,) = icalendar.Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    assert "RRULE" not in event
    assert event.decoded("DTSTART").date() == day
    assert str(event["DESCRIPTION"]) == "On répare ensemble, outils fournis."

    # And "My events" lists that date
    await page.goto(hood.instance.url("/agenda"))
    await page.get_by_role("link", name=fr("My events")).first.click()
    await page.wait_for_load_state()
    joined = page.get_by_role("region", name=fr("The coming dates I joined"))
    assert await joined.get_by_role("link", name=SERIES).count() >= 1
    await screenshot(page, f"ux-my-events-{size_of(phone)}")
    await context.close()


async def test_following_a_neighbour_and_the_unread_count(
    browser: Browser, hood: Neighbourhood
) -> None:
    # Given Sacha on Noé's profile
    context, page = await open_as(browser, hood, "sacha", phone=False)
    await page.goto(hood.instance.url("/@noe"))

    # When she follows him from there
    await page.get_by_role("button", name=re.compile(f"^{fr('Follow')}")).click()
    await page.wait_for_load_state()

    # Then the profile says she follows him
    assert await page.get_by_text(fr("You follow %(name)s.") % {"name": "Noé"}).count() == 1
    await context.close()

    for phone in (False, True):
        # When Noé opens a page, on a computer and on a phone
        context, page = await open_as(browser, hood, "noe", phone=phone)
        await page.goto(hood.instance.url("/local"))

        # Then the menu shows one unread notification, read out as such
        menu = page.get_by_role("navigation", name=fr("Main menu"))
        unread = catalog.ngettext("unread", "unread", 1)
        link = menu.get_by_role("link", name=re.compile(rf"{fr('Notifications')}\s+1 {unread}"))
        assert await link.is_visible()
        await screenshot(page, f"ux-unread-count-{size_of(phone)}")
        await context.close()
