"""In a real browser, against two ``quartiers serve`` processes: the admin of Carouge proposes
federation to Plainpalais from the admin pages, Plainpalais's admin accepts it, and Carouge's
city agenda fills with the events of a Plainpalais collective that no one in Carouge follows
(one published before, read from Plainpalais's recent past, and one after), labelled with the
name of their quartier and opening on a page of Carouge."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from commons.events import services as events
from config.uris import Uris
from storage.models import Actor
from tests.browser.browser_support import (
    PASSWORD,
    LiveInstance,
    new_context,
    poll_until,
    prepare_instance,
    screenshot,
)
from tests.browser.test_resident_journey import field, log_in
from webui import i18n

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

fr = i18n.translations("fr").gettext
TITLE = "Concert de la fanfare du Bout-du-Monde"
EARLIER = "Répétition ouverte de la fanfare"
START = datetime.now(UTC).replace(hour=16, minute=0, second=0, microsecond=0) + timedelta(days=4)


@pytest.fixture(scope="module")
def carouge(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    instance = prepare_instance(tmp_path_factory.mktemp("city"), "carouge")
    instance.create_account("ana", admin=True, name="Ana")
    with instance.serving():
        yield instance


@pytest.fixture(scope="module")
def plainpalais(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    instance = prepare_instance(tmp_path_factory.mktemp("city"), "plainpalais")
    instance.create_account("theo", admin=True, name="Théo")
    instance.create_group("fanfare", "project", "theo", "Fanfare du Bout-du-Monde")
    with instance.serving():
        yield instance


async def publish_event(instance: LiveInstance, group: str, owner: str, title: str) -> None:
    """The collective's event, written as its page would (and so sent to its followers)."""
    database = instance.database()
    try:
        async with database.transaction() as session:
            author = await session.scalar(select(Actor).where(Actor.username == owner))
            collective = await session.scalar(select(Actor).where(Actor.username == group))
            assert author is not None and collective is not None
            fields = events.EventFields(
                title=title, start=START, end=START + timedelta(hours=2),
                place_name="Parc des Bastions",
            )  # fmt: skip
            await events.create_event(session, Uris(instance.base_url), author, collective, fields)
    finally:
        await database.dispose()


async def page_text(page: Page, url: str) -> str:
    await page.goto(url)
    return " ".join((await page.locator("main").inner_text()).split())


async def test_an_admin_proposes_federation_and_the_city_agenda_fills(
    browser: Browser, carouge: LiveInstance, plainpalais: LiveInstance
) -> None:
    ana_context = await new_context(browser)
    theo_context = await new_context(browser)
    ana, theo = await ana_context.new_page(), await theo_context.new_page()
    await log_in(ana, carouge, "ana", PASSWORD)
    await log_in(theo, plainpalais, "theo", PASSWORD)
    # Given an event a Plainpalais collective published before the two quartiers federate
    await publish_event(plainpalais, "fanfare", "theo", EARLIER)

    # When Carouge's admin proposes federation to Plainpalais by its address
    await ana.goto(carouge.url("/admin/quartiers"))
    await ana.get_by_label(field(fr("Address of the other quartier"))).fill(plainpalais.domain)
    await ana.get_by_role("button", name=fr("Propose"), exact=True).click()
    await ana.wait_for_load_state()
    assert fr("Federation proposed to %(domain)s.") % {"domain": plainpalais.domain} in (
        await ana.locator("body").inner_text()
    )

    # Then Plainpalais's admin finds the request, and accepts it
    async def asked() -> bool:
        text = await page_text(theo, plainpalais.url("/admin/quartiers"))
        return fr("Asked by other quartiers") in text

    await poll_until(asked, "the proposal on Plainpalais's federation page")
    await screenshot(theo, "federation-asked")
    await theo.get_by_role("button", name=re.compile(rf"^{fr('Accept')}\b")).click()
    await theo.wait_for_load_state()

    async def federated() -> bool:
        text = await page_text(ana, carouge.url("/admin/quartiers"))
        return fr("Federated") in text and fr("Waiting for their answer") not in text

    await poll_until(federated, "the federation accepted, on Carouge's page")

    # When a Plainpalais collective that nobody in Carouge follows publishes an event
    await publish_event(plainpalais, "fanfare", "theo", TITLE)

    # Then Carouge's city agenda shows it, labelled with its quartier's name (once Carouge has
    # read what Plainpalais says of itself)
    agenda = carouge.url(f"/agenda/city?view=day&date={START.date().isoformat()}")

    async def in_the_agenda() -> bool:
        text = await page_text(ana, agenda)
        return TITLE in text and EARLIER in text and "Quartier Plainpalais" in text

    await poll_until(
        in_the_agenda, "both Plainpalais events, labelled, in Carouge's city agenda", 90
    )
    # (the earlier one read from Plainpalais's recent past, as the federation page says)
    federation_page = await page_text(ana, carouge.url("/admin/quartiers"))
    assert "Récupération terminée" in federation_page, federation_page
    await ana.goto(agenda)
    await screenshot(ana, "city-agenda-federated")
    # And it opens on a page of Carouge, where a resident answers it
    await ana.get_by_role("link", name=TITLE).click()
    await ana.wait_for_load_state()
    assert ana.url.startswith(carouge.url("/events/remote/")), ana.url
    assert await ana.get_by_role("heading", name=TITLE).count() == 1
    assert await ana.get_by_role("link", name=fr("See it on its own server")).count() == 1
    await ana_context.close()
    await theo_context.close()
