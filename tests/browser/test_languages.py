"""The pages in Arabic and German in a real browser, on a computer and on a phone (390 px).

Arabic pages run right to left: ``<html dir="rtl">``, the brand on the right and the menu on the
left, nothing that scrolls sideways, the menu and the main actions in Arabic. The footer's picker
works without JavaScript and comes back to the same page. The pages are kept as screenshots in
``artifacts/screenshots/lang-*.png``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx2
import pytest
import pytest_asyncio
from sqlalchemy import select

from storage.models import Account
from tests.browser.browser_support import LiveInstance, launched_browser, new_context, screenshot
from webui import i18n

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from playwright.async_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.asyncio(loop_scope="module")

ar = i18n.translations("ar").gettext
de = i18n.translations("de").gettext
GENEVA = ZoneInfo("Europe/Zurich")
TILES = "https://tile.openstreetmap.org/**"
SIZES = ("desktop", "phone")
SERIES = "Jardin partagé du samedi"


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
async def hood(paquis: LiveInstance) -> Neighbourhood:
    """Amira runs the shared garden "jardin" and its weekly Saturday; Samir is a neighbour; Léa
    is the admin."""
    paquis.create_account("amira", name="Amira")
    paquis.create_account("samir", name="Samir")
    paquis.create_group("jardin", "space", "amira", "Jardin partagé des Pâquis")
    cookies = {name: await cookie_of(paquis, name) for name in ("amira", "samir", "lea")}
    result = Neighbourhood(paquis, cookies)
    first = next_saturday()
    jar = {cookies["amira"]["name"]: cookies["amira"]["value"]}
    async with httpx2.AsyncClient(base_url=paquis.base_url, cookies=jar) as client:
        response = await client.post("/events/new", data={
            "csrf_token": "browser-test", "organiser": "jardin", "title": SERIES,
            "description": "On plante ensemble.", "start": first.strftime("%Y-%m-%dT%H:%M"),
            "end": (first + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Europe/Zurich", "category": "atelier", "join_mode": "free",
            "place_name": "Jardin des Pâquis", "repeat": "weekly", "capacity": "12",
            "comments_enabled": "1",
        }, headers={"Origin": paquis.base_url})  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
        result.series_path = response.headers["location"]
    return result


async def open_in(
    browser: Browser, hood: Neighbourhood, locale: str, who: str | None, *, phone: bool
) -> tuple[BrowserContext, Page]:
    """A browser whose language is ``locale`` (no lang cookie), for a visitor or a resident."""
    context = await new_context(browser, locale=locale, phone=phone)
    await context.route(TILES, lambda route: route.abort())
    if who is not None:
        await context.add_cookies([hood.cookies[who]])  # type: ignore[list-item]
    return context, await context.new_page()


async def sideways_scroll(page: Page) -> int:
    """How far the page can be scrolled sideways, either way (0 when it cannot)."""
    return int(
        await page.evaluate(
            """() => {
                const root = document.documentElement;
                const reach = [];
                for (const x of [-100000, 100000]) {
                    window.scrollTo(x, 0);
                    reach.push(Math.abs(window.scrollX));
                }
                window.scrollTo(0, 0);
                return Math.max(root.scrollWidth - root.clientWidth, ...reach);
            }"""
        )
    )


def size_of(phone: bool) -> str:
    return "phone" if phone else "desktop"


VISITOR_PAGES = {
    "home": "/", "local": "/local", "collectives": "/collectives", "agenda": "/agenda",
    "agenda-month": "/agenda?view=month", "map": "/map", "login": "/login", "signup": "/signup",
}  # fmt: skip
RESIDENT_PAGES = {
    "my-feed": "/home", "compose": "/compose", "new-event": "/events/new",
    "settings": "/settings", "notifications": "/notifications", "my-events": "/calendar",
}  # fmt: skip
ADMIN_PAGES = {
    "admin": "/admin", "admin-accounts": "/admin/accounts", "admin-domains": "/admin/domains",
    "admin-health": "/admin/health", "admin-invitations": "/admin/invitations",
}  # fmt: skip


@pytest.mark.parametrize("phone", [False, True], ids=SIZES)
async def test_arabic_pages_read_right_to_left_and_fit_the_screen(
    browser: Browser, hood: Neighbourhood, phone: bool
) -> None:
    pages = [(name, path, None) for name, path in VISITOR_PAGES.items()]
    pages += [(name, path, "amira") for name, path in RESIDENT_PAGES.items()]
    pages += [(name, path, "lea") for name, path in ADMIN_PAGES.items()]
    pages += [("event", hood.series_path, "samir")]
    problems = []
    for name, path, who in pages:
        # Given a browser in Arabic, on the page
        context, page = await open_in(browser, hood, "ar", who, phone=phone)
        response = await page.goto(hood.instance.url(path))
        assert response is not None and response.status == 200, (name, path)
        await page.wait_for_load_state("load")
        await screenshot(page, f"lang-ar-{name}-{size_of(phone)}")

        # Then the page is Arabic, right to left, and cannot be scrolled sideways
        assert await page.get_attribute("html", "lang") == "ar", name
        assert await page.get_attribute("html", "dir") == "rtl", name
        assert await page.evaluate("getComputedStyle(document.body).direction") == "rtl", name
        if scroll := await sideways_scroll(page):
            problems.append(f"{name}: scrolls {scroll} px sideways")

        # And the brand sits on the right, where an Arabic reader starts
        brand = await page.locator(".brand").bounding_box()
        width = 390 if phone else 1280
        assert brand is not None and brand["x"] + brand["width"] > width / 2, (name, brand)
        await context.close()
    assert not problems, problems


async def test_the_arabic_menu_and_main_actions_on_a_computer(
    browser: Browser, hood: Neighbourhood
) -> None:
    # Given Samir, whose browser is in Arabic, on the weekly garden's page
    context, page = await open_in(browser, hood, "ar", "samir", phone=False)
    await page.goto(hood.instance.url(hood.series_path))

    # Then the menu's links are in Arabic
    menu = page.get_by_role("navigation", name=ar("Main menu"))
    for label in ("Neighbourhood", "Agenda", "Collectives", "Map", "Settings"):
        assert await menu.get_by_role("link", name=ar(label), exact=True).is_visible(), label

    # And the series is said in Arabic, with its main action
    assert await page.get_by_text("كل يوم سبت").first.is_visible()
    take_part = page.get_by_role("button", name=ar("Take part in every date"))
    assert await take_part.is_visible()

    # When he takes part
    await take_part.click()
    await page.wait_for_load_state()

    # Then he is told so in Arabic, and can change his mind
    state = await page.locator(".event-rsvp-state").inner_text()
    assert state.strip() == ar("You take part."), state
    assert await page.get_by_role("button", name=ar("Unregister")).is_visible()
    await screenshot(page, "lang-ar-event-taking-part-desktop")
    await context.close()


async def test_the_arabic_phone_menu_opens_on_the_left_within_the_screen(
    browser: Browser, hood: Neighbourhood
) -> None:
    # Given a phone in Arabic without JavaScript
    context = await browser.new_context(
        locale="ar", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        java_script_enabled=False,
    )  # fmt: skip
    page = await context.new_page()
    await page.goto(hood.instance.url("/local"))
    menu = page.get_by_role("navigation", name=ar("Main menu"))
    summary = menu.locator("summary", has_text=ar("Menu"))

    # Then the "Menu" button is on the left, the main links in Arabic beside it
    box = await summary.bounding_box()
    assert box is not None and box["x"] + box["width"] / 2 < 390 / 2, box
    assert await menu.get_by_role("link", name=ar("Agenda"), exact=True).is_visible()

    # When it is opened
    await summary.click()

    # Then its list shows, whole, inside the screen
    collectives = menu.get_by_role("link", name=ar("Collectives"), exact=True)
    assert await collectives.is_visible()
    listing = await menu.locator(".nav-more-list").bounding_box()
    assert listing is not None and listing["x"] >= 0 and listing["x"] + listing["width"] <= 390
    await screenshot(page, "lang-ar-phone-menu")
    await context.close()


async def test_the_picker_switches_language_without_javascript_and_comes_back(
    browser: Browser, hood: Neighbourhood
) -> None:
    # Given a French browser without JavaScript on the agenda's month
    context = await browser.new_context(locale="fr-CH", java_script_enabled=False)
    page = await context.new_page()
    await page.goto(hood.instance.url("/agenda?view=month"))
    footer = page.get_by_role("contentinfo")

    # When the reader picks العربية in the footer
    await footer.get_by_role("link", name="العربية").click()
    await page.wait_for_load_state()

    # Then the same page comes back, in Arabic, right to left
    assert page.url.endswith("/agenda?view=month"), page.url
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.get_by_role("navigation", name=ar("Main menu")).is_visible()

    # When they pick Deutsch
    await footer.get_by_role("link", name="Deutsch").click()
    await page.wait_for_load_state()

    # Then the page is German, left to right, and stays German on the next page
    assert page.url.endswith("/agenda?view=month"), page.url
    assert await page.get_attribute("html", "lang") == "de"
    assert await page.get_attribute("html", "dir") is None
    await page.goto(hood.instance.url("/collectives"))
    assert await page.get_attribute("html", "lang") == "de"
    await context.close()


@pytest.mark.parametrize("phone", [False, True], ids=SIZES)
async def test_a_german_event_page(browser: Browser, hood: Neighbourhood, phone: bool) -> None:
    # Given a visitor whose browser is in Swiss German, on the weekly garden's page
    context, page = await open_in(browser, hood, "de-CH", None, phone=phone)
    await page.goto(hood.instance.url(hood.series_path))
    await screenshot(page, f"lang-de-event-{size_of(phone)}")

    # Then it is German, left to right, and fits the screen
    assert await page.get_attribute("html", "lang") == "de"
    assert await page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    assert await sideways_scroll(page) == 0
    # And the menu, the rule of the series and the main action are German
    menu = page.get_by_role("navigation", name=de("Main menu"))
    assert await menu.get_by_role("link", name=de("Agenda"), exact=True).is_visible()
    assert await menu.get_by_role("link", name=de("Log in"), exact=True).is_visible()
    assert await page.get_by_text("Jeden Samstag").first.is_visible()
    assert await page.get_by_role("link", name=de("Log in to take part")).is_visible()
    await context.close()
