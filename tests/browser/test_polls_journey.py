"""A poll of a neighbourhood assembly, in a real browser, voted from two accounts.

Amina facilitates the Assemblée des Pâquis. From the petitions she finds the polls and asks which
evening suits the next assembly, several answers allowed. Yves votes for two evenings on his
phone; Zoé votes for one on her computer. Each sees the results at once, as shares of the people
who voted; a second vote is not offered. Amina closes the poll. On the phone no page scrolls
sideways; every step goes through labelled controls.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from tests.browser.browser_support import (
    LiveInstance,
    new_context,
    prepare_instance,
    screenshot,
    wait_for_heading,
)
from tests.browser.test_events_journey import field, log_in, press
from tests.browser.test_offers_journey import log_in_on_phone, sideways_scroll
from webui import i18n

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

catalog = i18n.translations("fr")
fr = catalog.gettext
GENEVA = ZoneInfo("Europe/Zurich")
QUESTION = "Quel soir pour la prochaine assemblée ?"
COLLECTIVE = "Assemblée des Pâquis"


def voted(count: int) -> str:
    text = catalog.ngettext("%(num)s person voted", "%(num)s people voted", count)
    return text % {"num": count}


@pytest.fixture(scope="module")
def paquis(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    """An instance of this journey's own, so that its polls are this journey's alone."""
    instance = prepare_instance(tmp_path_factory.mktemp("polls-journey"), "paquis")
    with instance.serving():
        yield instance


async def results(page: Page) -> list[str]:
    items = page.locator(".poll-result-words")
    return [" ".join((await items.nth(n).inner_text()).split()) for n in range(await items.count())]


async def test_an_assembly_holds_a_poll_and_two_residents_vote(
    browser: Browser, paquis: LiveInstance
) -> None:
    # Given Amina, who facilitates the assembly, and her neighbours Yves and Zoé
    paquis.create_account("amina", name="Amina")
    paquis.create_account("yves", name="Yves")
    paquis.create_account("zoe", name="Zoé")
    paquis.create_group("assemblee", "assembly", "amina", COLLECTIVE)

    # When Amina finds the polls from the petitions and asks her question
    desktop = await new_context(browser)
    page = await log_in(desktop, paquis, "amina")
    menu = page.get_by_role("navigation", name=fr("Main menu"))
    await menu.get_by_role("link", name=fr("Petitions")).first.click()
    await page.get_by_role("link", name=fr("The polls of the assemblies and collectives")).click()
    await wait_for_heading(page, fr("Polls"))
    await page.get_by_role("link", name=fr("Hold a poll for a collective")).click()
    await wait_for_heading(page, fr("Hold a poll"))
    await page.get_by_label(field(fr("Question"))).fill(QUESTION)
    await page.get_by_label(fr("Explanation")).fill("Nous cherchons **un soir** pour juin.")
    await page.get_by_label(field(fr("Answers"))).fill("Mardi\nMercredi\nJeudi")
    await page.get_by_label(fr("Several answers may be chosen")).check()
    day = (datetime.now(GENEVA) + timedelta(days=10)).date().isoformat()
    await page.get_by_label(field(fr("Closes on"))).fill(day)
    await screenshot(page, "poll-form")
    await press(page, fr("Open the poll"))

    # Then its page offers the three evenings, and the collective's followers receive it
    await wait_for_heading(page, QUESTION)
    assert (
        await page.get_by_text(
            fr("The poll is open: the collective's followers receive it.")
        ).count()
        == 1
    )
    assert await page.get_by_role("checkbox").count() == 3
    poll_url = page.url

    # When Yves, on his phone, finds it among the polls and chooses two evenings
    phone = await new_context(browser, phone=True)
    yves = await log_in_on_phone(phone, paquis, "yves")
    await yves.goto(paquis.url("/polls"))
    await yves.get_by_role("link", name=QUESTION).click()
    await wait_for_heading(yves, QUESTION)
    ballot = yves.get_by_role("group", name=QUESTION)
    await ballot.get_by_label("Mardi").check()
    await ballot.get_by_label("Jeudi").check()
    await press(yves, fr("Vote"))

    # Then his vote is counted and the results show at once
    assert await yves.get_by_text(fr("Thank you, your vote is counted.")).count() == 1
    assert await yves.get_by_text(voted(1)).count() == 1
    assert await yves.get_by_role("button", name=fr("Vote")).count() == 0
    assert await sideways_scroll(yves) == 0
    await screenshot(yves, "poll-voted-phone")

    # When Zoé, on her computer, chooses Thursday
    neighbour_context = await new_context(browser)
    zoe = await log_in(neighbour_context, paquis, "zoe")
    await zoe.goto(poll_url)
    await zoe.get_by_label("Jeudi").check()
    await press(zoe, fr("Vote"))

    # Then two people voted: Thursday for both, Tuesday for one, Wednesday for none
    assert await zoe.get_by_text(voted(2)).count() == 1
    shares = await results(zoe)
    assert shares[0].startswith("Mardi") and "50" in shares[0]
    assert shares[1].startswith("Mercredi") and "0" in shares[1]
    assert shares[2].startswith("Jeudi") and "100" in shares[2]
    await screenshot(zoe, "poll-results")

    # When Amina closes it, it says so to everyone
    await page.reload()
    await press(page, fr("Close the poll now"))
    assert await page.get_by_text(fr("The poll is closed; its results are published.")).count() == 1
    await yves.reload()
    assert await yves.get_by_text(fr("Closed on %(moment)s.").split("%")[0].strip()).count() >= 1
    for context in (phone, desktop, neighbour_context):
        await context.close()
