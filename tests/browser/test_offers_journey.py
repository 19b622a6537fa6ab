"""An offer of a neighbour, in a real browser, from its form to an accepted answer.

Amina lends her cargo bike: she fills in the offer form with a photo and its description,
then finds it in the quartier's exchanges. Yves, on his phone, finds it through the menu,
answers with a message, and sees his answer waiting. Amina is told, opens the offer from her
notification and accepts; Yves then reads that his answer is accepted. No page scrolls sideways
on the phone, and every step goes through labelled controls.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.browser.browser_support import (
    PASSWORD,
    LiveInstance,
    new_context,
    prepare_instance,
    screenshot,
    wait_for_heading,
)
from tests.browser.test_events_journey import field, log_in, press
from webui import i18n

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

fr = i18n.translations("fr").gettext
TITLE = "Vélo cargo à prêter le week-end"
MESSAGE = "Je pourrais le prendre samedi matin pour un déménagement ?"


@pytest.fixture(scope="module")
def plainpalais(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    """An instance of this journey's own, so that its marketplace holds this offer alone."""
    instance = prepare_instance(tmp_path_factory.mktemp("offers-journey"), "plainpalais")
    with instance.serving():
        yield instance


def next_saturday() -> str:
    today = datetime.now(ZoneInfo("Europe/Zurich")).date()
    return (today + timedelta(days=(5 - today.weekday()) % 7 or 7)).isoformat()


def photo(folder: Path) -> Path:
    path = folder / "velo-cargo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (200, 80, 30)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


async def log_in_on_phone(context: BrowserContext, instance: LiveInstance, username: str) -> Page:
    """As :func:`log_in`, on a phone, where "Log out" waits in the closed menu."""
    page = await context.new_page()
    await page.goto(instance.url("/login"))
    await page.get_by_label(field(fr("Account name"))).fill(username)
    await page.get_by_label(field(fr("Password"))).fill(PASSWORD)
    await page.get_by_label(field(fr("Password"))).press("Enter")
    await page.wait_for_load_state()
    primary = page.locator(".nav-primary")
    assert await primary.get_by_role("link", name=fr("Notifications")).count() == 1, page.url
    return page


async def sideways_scroll(page: Page) -> int:
    width: int = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


async def test_a_neighbour_lends_her_cargo_bike_and_accepts_an_answer(
    browser: Browser, plainpalais: LiveInstance, tmp_path: Path
) -> None:
    plainpalais.create_account("amina", name="Amina")
    plainpalais.create_account("yves", name="Yves")
    lender_context = await new_context(browser)
    page = await log_in(lender_context, plainpalais, "amina")

    # When Amina opens the exchanges from the menu and publishes her offer with a photo
    menu = page.get_by_role("navigation", name=fr("Main menu"))
    await menu.get_by_role("link", name=fr("Exchanges")).first.click()
    await wait_for_heading(page, fr("Exchange and mutual aid"))
    await page.get_by_role("link", name=fr("Publish an offer or a request")).click()
    await wait_for_heading(page, fr("Publish an offer or a request"))
    await page.get_by_label(fr("Kind")).select_option(label=fr("Lending"))
    await page.get_by_label(field(fr("Title"))).fill(TITLE)
    await page.get_by_label(fr("Description"), exact=True).fill(
        "Un Bullitt avec sa bâche, **casque fourni**. À rendre le dimanche soir."
    )
    await page.get_by_label(fr("Name of the place")).fill("Plaine de Plainpalais")
    await page.get_by_label(fr("Picture %(number)s") % {"number": 1}, exact=True).set_input_files(
        str(photo(tmp_path))
    )
    await page.get_by_label(fr("Description of picture %(number)s") % {"number": 1}).fill(
        "Un vélo cargo orange devant un arbre"
    )
    await screenshot(page, "offer-form")
    await press(page, fr("Publish"))

    # Then its page shows it, with the photo described and the buttons of who publishes it
    await wait_for_heading(page, TITLE)
    offer_url = page.url
    assert re.search(r"/offers/[0-9a-f-]{36}$", offer_url), offer_url
    assert await page.get_by_role("img", name="Un vélo cargo orange devant un arbre").count() == 1
    assert await page.get_by_text("casque fourni").count() == 1
    assert await page.get_by_role("button", name=fr("Mark as done")).count() == 1

    # When Yves, on his phone, finds it in the exchanges and answers
    phone = await new_context(browser, phone=True)
    neighbour = await log_in_on_phone(phone, plainpalais, "yves")
    await neighbour.get_by_text(fr("Menu"), exact=True).click()
    await neighbour.get_by_role("link", name=fr("Exchanges")).last.click()
    await wait_for_heading(neighbour, fr("Exchange and mutual aid"))
    assert await sideways_scroll(neighbour) == 0
    await neighbour.get_by_role("link", name=TITLE).click()
    await wait_for_heading(neighbour, TITLE)
    assert await sideways_scroll(neighbour) == 0
    await neighbour.get_by_label(fr("Message to %(name)s") % {"name": "Amina"}).fill(MESSAGE)
    await press(neighbour, fr("Send my answer"))
    assert await neighbour.get_by_text(fr("Your answer is waiting for a reply.")).count() == 1
    await screenshot(neighbour, "offer-answered-phone")

    # Then Amina is told, opens the offer from her notification and accepts his answer
    await page.goto(plainpalais.url("/notifications"))
    await page.get_by_role("link", name=fr("See the offer")).first.click()
    await wait_for_heading(page, TITLE)
    answers = page.get_by_role("region", name=fr("Answers"))
    assert await answers.get_by_text(MESSAGE).count() == 1
    await press(page, fr("Accept"))
    assert await page.get_by_text(fr("Accepted"), exact=True).count() == 1

    # And Yves reads that his answer is accepted
    await neighbour.reload()
    accepted = fr("Your answer is accepted: get in touch to arrange it.")
    assert await neighbour.get_by_text(accepted).count() == 1

    # When Amina makes the bike bookable by the day, two days in a row at most
    await page.get_by_role("link", name=fr("Make it bookable by time slot")).click()
    await wait_for_heading(page, fr("Rules of booking"))
    await page.get_by_label(fr("It can be booked by time slot")).check()
    await page.get_by_label(fr("At most in a row")).fill("2")
    await press(page, fr("Save"))
    await wait_for_heading(page, TITLE)
    rule = i18n.translations("fr").ngettext(
        "By the day, %(num)s day in a row at most.", "By the day, %(num)s days in a row at most.", 2
    )
    assert await page.get_by_text(rule % {"num": 2}).count() == 1

    # Then Yves books next Saturday on his phone, gets his pickup code, and cancels
    await neighbour.reload()
    saturday = next_saturday()
    await neighbour.get_by_label(fr("From"), exact=True).fill(saturday)
    await press(neighbour, fr("Book"))
    assert await neighbour.get_by_text(fr("It is booked for you.")).count() == 1
    assert await neighbour.get_by_text(re.compile(r"[A-Z0-9]{6} — ")).count() == 1
    assert await sideways_scroll(neighbour) == 0
    await screenshot(neighbour, "offer-booked-phone")
    await press(neighbour, fr("Cancel this booking"))
    assert (
        await neighbour.get_by_text(fr("The booking is cancelled; the slot is free again.")).count()
        == 1
    )
    await lender_context.close()
    await phone.close()
