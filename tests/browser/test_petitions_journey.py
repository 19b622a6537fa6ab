"""A petition of a neighbourhood assembly, in a real browser, from its draft to the list that is
handed over.

Amina facilitates the Assemblée des Eaux-Vives. She drafts a petition with Yves, a member, on
its promoter committee. Yves, on his phone, is told, confirms it — which opens it — and signs.
Zoé signs from her computer and withdraws her signature. Amina then reads one signature on the
page, and takes the list to hand over: a page that prints without the site around it, and a CSV
file for a spreadsheet. On the phone no page scrolls sideways; every step goes through labelled
controls.
"""

from __future__ import annotations

import csv
import io
import re
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
    from playwright.async_api import Browser

catalog = i18n.translations("fr")
fr = catalog.gettext
GENEVA = ZoneInfo("Europe/Zurich")
TITLE = "Des bancs à l’ombre sur la place des Eaux-Vives"
COLLECTIVE = "Assemblée des Eaux-Vives"


def signatures(count: int, goal: int) -> str:
    text = catalog.ngettext("%(num)s signature out of %(goal)s",
                            "%(num)s signatures out of %(goal)s", count)  # fmt: skip
    return text % {"num": count, "goal": goal}


@pytest.fixture(scope="module")
def eaux_vives(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    """An instance of this journey's own, so that its petitions are this journey's alone."""
    instance = prepare_instance(tmp_path_factory.mktemp("petitions-journey"), "eauxvives")
    with instance.serving():
        yield instance


async def test_an_assembly_drafts_a_petition_residents_sign_and_the_list_is_handed_over(
    browser: Browser, eaux_vives: LiveInstance
) -> None:
    # Given Amina, who facilitates the assembly, Yves, who joins it, and their neighbour Zoé
    eaux_vives.create_account("amina", name="Amina")
    eaux_vives.create_account("yves", name="Yves")
    eaux_vives.create_account("zoe", name="Zoé")
    eaux_vives.create_group("assemblee", "assembly", "amina", COLLECTIVE)
    phone = await new_context(browser, phone=True)
    promoter = await log_in_on_phone(phone, eaux_vives, "yves")
    await promoter.goto(eaux_vives.url("/@assemblee"))
    await press(promoter, fr("Join"))

    # When Amina opens the petitions from the menu and drafts one with Yves as second promoter
    desktop = await new_context(browser)
    page = await log_in(desktop, eaux_vives, "amina")
    menu = page.get_by_role("navigation", name=fr("Main menu"))
    await menu.get_by_role("link", name=fr("Petitions")).first.click()
    await wait_for_heading(page, fr("Petitions"))
    await page.get_by_role("link", name=fr("Start a petition for a collective")).click()
    await wait_for_heading(page, fr("Start a petition"))
    await page.get_by_label(field(fr("Title"))).fill(TITLE)
    await page.get_by_label(fr("Text of the petition")).fill(
        "L’été, la place est **brûlante**. Nous demandons des bancs sous les arbres."
    )
    await page.get_by_label(fr("Addressed to"), exact=True).fill("Ville de Genève")
    await page.get_by_label(field(fr("Signatures sought"))).fill("50")
    deadline = (datetime.now(GENEVA) + timedelta(days=60)).date().isoformat()
    await page.get_by_label(field(fr("Last day to sign"))).fill(deadline)
    await page.get_by_label(re.compile("^Yves")).check()
    await screenshot(page, "petition-form")
    await press(page, fr("Save the draft"))

    # Then its page is a draft that waits for Yves
    await wait_for_heading(page, TITLE)
    petition_url = page.url
    assert re.search(r"/petitions/[0-9a-f-]{36}$", petition_url), petition_url
    committee = page.get_by_role("region", name=fr("Promoter committee"))
    assert await committee.get_by_text(fr("not confirmed yet")).count() == 1
    assert await page.get_by_role("button", name=fr("I sign")).count() == 0
    await screenshot(page, "petition-draft")

    # When Yves, on his phone, is told, finds the draft and confirms it
    await promoter.goto(eaux_vives.url("/notifications"))
    await promoter.get_by_role("link", name=fr("See the petitions")).first.click()
    await wait_for_heading(promoter, fr("Petitions"))
    assert await promoter.get_by_text(fr("It waits for your confirmation.")).count() == 1
    await promoter.get_by_role("link", name=TITLE).click()
    await wait_for_heading(promoter, TITLE)
    assert await sideways_scroll(promoter) == 0
    await press(promoter, fr("I confirm"))

    # Then the petition is open, and he signs it
    opened = fr("Thank you. Every promoter has confirmed: the petition is open and collects "
                "signatures from now on.")  # fmt: skip
    assert await promoter.get_by_text(opened).count() == 1
    await press(promoter, fr("I sign"))
    assert await promoter.get_by_text(fr("Thank you, your signature is counted.")).count() == 1
    assert await promoter.get_by_text(signatures(1, 50), exact=False).count() >= 1
    assert await sideways_scroll(promoter) == 0
    await screenshot(promoter, "petition-signed-phone")

    # When Zoé finds it in the petitions, signs and changes her mind
    neighbour_context = await new_context(browser)
    neighbour = await log_in(neighbour_context, eaux_vives, "zoe")
    await (
        neighbour.get_by_role("navigation", name=fr("Main menu"))
        .get_by_role("link", name=fr("Petitions"))
        .first.click()
    )
    await neighbour.get_by_role("link", name=TITLE).click()
    await wait_for_heading(neighbour, TITLE)
    await press(neighbour, fr("I sign"))
    assert await neighbour.get_by_text(signatures(2, 50), exact=False).count() >= 1
    await press(neighbour, fr("Withdraw my signature"))
    withdrawn = fr("Your signature is withdrawn; you may sign again while it collects.")
    assert await neighbour.get_by_text(withdrawn).count() == 1
    assert await neighbour.get_by_role("button", name=fr("I sign")).count() == 1

    # Then Amina reads one signature, with its chart
    await page.reload()
    assert await page.get_by_text(signatures(1, 50), exact=False).count() >= 1
    chart = page.get_by_role("region", name=fr("Signatures day by day"))
    assert await chart.get_by_role("img").count() == 1
    await chart.get_by_text(fr("The numbers"), exact=True).click()
    assert await chart.get_by_role("row").count() == 2  # the numbers: a heading and one day

    # When she takes the list to hand over, it prints without the site around it
    await page.get_by_role("link", name=fr("The list to hand over (to print)")).click()
    await wait_for_heading(page, TITLE)
    assert await page.get_by_text(fr("Signatures: %(count)s") % {"count": 1}).count() == 1
    await page.emulate_media(media="print")
    assert not await page.locator(".site-header").is_visible()
    assert await page.get_by_role("heading", name=TITLE).is_visible()
    await screenshot(page, "petition-export-print")
    await page.emulate_media(media="screen")

    # And the CSV file holds Yves's signature, made here, without his name
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name=fr("The list as a spreadsheet (CSV)")).click()
    download = await downloading.value
    path = await download.path()
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][0] == fr("Number") and len(rows) == 2
    assert rows[1][2] == fr("here") and rows[1][3] == eaux_vives.domain
    assert "Yves" not in text

    # And on the phone, the list reads without scrolling sideways
    await promoter.goto(eaux_vives.url("/petitions"))
    assert await sideways_scroll(promoter) == 0
    await screenshot(promoter, "petitions-phone")
    for context in (phone, desktop, neighbour_context):
        await context.close()
