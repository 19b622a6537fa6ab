"""The map of the neighbourhood in Chromium: two events at one venue share one marker, and its
popup leads to both (markers drawn on top of each other would hide all but one)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx2
import pytest
from sqlalchemy import select

from storage.models import Account
from tests.browser.browser_support import LiveInstance, new_context, screenshot
from webui import i18n
from webui.leaflet import leaflet_files_present

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = pytest.mark.skipif(
    not leaflet_files_present(), reason="Leaflet is not installed: python scripts/fetch_leaflet.py"
)
fr = i18n.translations("fr").gettext
GENEVA = ZoneInfo("Europe/Zurich")
TILES = "https://tile.openstreetmap.org/**"
TITLES = ("Troc de plantes du square", "Soupe du square")


async def publish_event(client: httpx2.AsyncClient, base_url: str, title: str, days: int) -> None:
    start = datetime.now(GENEVA).replace(hour=18, minute=0, second=0, microsecond=0)
    start += timedelta(days=days)
    response = await client.post("/events/new", data={
        "csrf_token": "browser-test", "organiser": "", "title": title,
        "description": "Au square.", "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "timezone": "Europe/Zurich", "category": "autre", "join_mode": "free",
        "place_name": "Square du Mont-Blanc", "latitude": "46.20871", "longitude": "6.14699",
    }, headers={"Origin": base_url})  # fmt: skip
    assert response.status_code == 303, response.text[:3000]


async def test_two_events_at_one_venue_are_both_reachable_on_the_map(
    browser: Browser, paquis: LiveInstance
) -> None:
    # Given two events at the same square, a week apart
    paquis.create_account("karim", name="Karim")
    database = paquis.database()
    async with database.session() as session:
        account = await session.scalar(select(Account).where(Account.username == "karim"))
    await database.dispose()
    assert account is not None
    cookie = await paquis.session_cookie(account)
    jar = {cookie["name"]: cookie["value"]}
    async with httpx2.AsyncClient(base_url=paquis.base_url, cookies=jar) as client:
        for days, title in enumerate(TITLES, start=8):
            await publish_event(client, paquis.base_url, title, days)

    # When a neighbour opens the map
    context = await new_context(browser)
    await context.route(TILES, lambda route: route.abort())
    page = await context.new_page()
    await page.goto(paquis.url("/map"))
    drawn = page.get_by_role("region", name=fr("Map of the places and events below"))
    await drawn.wait_for(state="visible")

    # Then one marker stands for both, and its popup links to each
    marker = drawn.get_by_role("button", name=" · ".join(TITLES))
    assert await marker.count() == 1
    await marker.click()
    for title in TITLES:
        await drawn.get_by_role("link", name=title).wait_for()
    await screenshot(page, "map-one-venue")
    await context.close()
