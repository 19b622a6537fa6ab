"""Cross-posting in a real browser: Léo shares the repair café's event into the Servette forum,
where every share waits; Sofia, the forum's other facilitator, finds it in the forum's queue and
approves it; the forum's page then lists it, with the repair café as its author."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from actors import groups
from commons.events import services as events
from config.uris import Uris
from storage.models import Actor, Share
from storage.models.shares import EVERYONE_WAITS, SHARE_SHARED
from tests.browser.browser_support import PASSWORD, LiveInstance, new_context, prepare_instance
from webui import i18n

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

fr = i18n.translations("fr").gettext
TITLE = "Repair Café de la Servette"


@pytest.fixture(scope="module")
def servette(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    instance = prepare_instance(tmp_path_factory.mktemp("sharing-journey"), "servette")
    for username, name in (("leo", "Léo"), ("sofia", "Sofia"), ("marc", "Marc")):
        instance.create_account(username, name=name)
    instance.create_group("forum", "assembly", "leo", "Forum de la Servette")
    instance.create_group("repair", "space", "marc", "Repair Café")
    with instance.serving():
        yield instance


async def prepare(instance: LiveInstance) -> str:
    """Sofia facilitates the forum too, where every share waits; the repair café has an
    event. Returns the event's path."""
    settings = instance.settings()
    database = instance.database()
    uris = Uris(settings.base_url)
    try:
        async with database.transaction() as session:
            people = {
                actor.username: actor
                for actor in await session.scalars(select(Actor).where(Actor.is_local.is_(True)))
            }
            forum, sofia, leo = people["forum"], people["sofia"], people["leo"]
            await groups.join(session, uris, forum, sofia)
            await groups.change_role(session, forum, leo, sofia.id, "facilitator")
            forum.share_approval = EVERYONE_WAITS
            start = datetime.now(UTC) + timedelta(days=10)
            fields = events.EventFields(
                title=TITLE, start=start, end=start + timedelta(hours=3),
                place_name="Salle du Môle", street_address="Rue du Môle 5",
                postal_code="1201", locality="Genève",
            )  # fmt: skip
            event = await events.create_event(session, uris, people["marc"], people["repair"],
                                              fields)  # fmt: skip
            return urlsplit(event.uri).path
    finally:
        await database.dispose()


async def shares_of(instance: LiveInstance) -> list[str]:
    database = instance.database()
    try:
        async with database.session() as session:
            return list(await session.scalars(select(Share.state)))
    finally:
        await database.dispose()


async def log_in(context: BrowserContext, instance: LiveInstance, username: str) -> Page:
    page = await context.new_page()
    await page.goto(instance.url("/login"))
    await page.get_by_label(re.compile(rf"^{re.escape(fr('Account name'))}")).fill(username)
    password = page.get_by_label(re.compile(rf"^{re.escape(fr('Password'))}"))
    await password.fill(PASSWORD)
    async with page.expect_navigation():
        await password.press("Enter")
    assert await page.get_by_role("button", name=fr("Log out")).count() == 1
    return page


async def test_a_facilitator_cross_posts_an_event_and_another_approves_it(
    browser: Browser, servette: LiveInstance
) -> None:
    # Given the repair café's event, and the forum where every share waits
    event_path = await prepare(servette)

    # When Léo opens the event and shares it into the forum
    leo = await log_in(await new_context(browser), servette, "leo")
    await leo.goto(servette.url(event_path))
    await leo.get_by_text(fr("Share into a collective"), exact=True).click()
    await leo.get_by_label(re.compile("Forum de la Servette")).check()
    async with leo.expect_navigation():
        await leo.get_by_role("button", name=fr("Share into the collective")).click()

    # Then he reads that it waits for a facilitator, and the page says so
    proposed = fr("Proposed to %(group)s: a facilitator will approve it.")
    assert proposed % {"group": "Forum de la Servette"} in await leo.locator("body").inner_text()
    assert await shares_of(servette) == ["pending"]

    # When Sofia opens the forum's management page and approves it
    sofia = await log_in(await new_context(browser), servette, "sofia")
    await sofia.goto(servette.url("/@forum/manage"))
    queue = sofia.locator("#shares")
    assert TITLE in await queue.inner_text()
    async with sofia.expect_navigation():
        await queue.get_by_role("button", name=fr("Approve and share")).click()

    # Then it is shared, and the forum's page lists it with its author
    assert fr("The share is approved and sent.") in await sofia.locator("body").inner_text()
    assert await shares_of(servette) == [SHARE_SHARED]
    await sofia.goto(servette.url("/@forum"))
    shared = sofia.locator(".shared-section")
    text = await shared.inner_text()
    assert TITLE in text and "Repair Café" in text
    assert fr("via %(group)s") % {"group": "Forum de la Servette"} in text
