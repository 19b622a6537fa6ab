"""Placing an event's venue in a real browser: a click on the map, or an address found for us.

The neighbourhood's admin configured an address search (here a small Nominatim-style server on
127.0.0.1). Amina writes a new event: a click on the map fills in its coordinates; then she types
the address, asks for it on the map, and chooses the place found, which fills the coordinates,
the postal code and the locality she had left empty.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from storage.models import Account
from tests.browser.browser_support import new_context, prepare_instance, screenshot
from webui import i18n
from webui.leaflet import leaflet_files_present

if TYPE_CHECKING:
    from playwright.async_api import Browser

fr = i18n.translations("fr").gettext
TILES = "https://tile.openstreetmap.org/**"
FOUND = {
    "lat": "46.2113190",
    "lon": "6.1466810",
    "display_name": "Maison de quartier des Pâquis, 50, Rue de Berne, Genève, 1201, Suisse",
    "address": {"road": "Rue de Berne", "house_number": "50", "postcode": "1201", "city": "Genève"},
}

pytestmark = pytest.mark.skipif(
    not leaflet_files_present(),
    reason="Leaflet is not installed (make install fetches it; the map is optional)",
)


@contextmanager
def address_search(asked: list[dict[str, list[str]]]) -> Iterator[str]:
    """A Nominatim-style ``/search`` on a free loopback port; yields its URL."""

    class Search(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(parse_qs(urlsplit(self.path).query))
            body = json.dumps([FOUND]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Search)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/search"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_click_or_a_found_address_places_the_venue(
    browser: Browser, tmp_path: Path
) -> None:
    asked: list[dict[str, list[str]]] = []
    with address_search(asked) as search_url:
        # Given a neighbourhood whose admin set an address search
        instance = prepare_instance(tmp_path, "picker")
        config = instance.directory / "config.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(
            text.replace('geocoder_url = ""', f'geocoder_url = "{search_url}"'), encoding="utf-8"
        )
        instance.create_account("amina", name="Amina")
        database = instance.database()
        async with database.session() as session:
            account = await session.scalar(select(Account).where(Account.username == "amina"))
        await database.dispose()
        assert account is not None
        cookie = await instance.session_cookie(account)

        with instance.serving():
            context = await new_context(browser)
            await context.route(TILES, lambda route: route.abort())
            await context.add_cookies([cookie])  # type: ignore[list-item]
            page = await context.new_page()
            await page.goto(instance.url("/events/new"))
            more = fr("More options: repetition, places, online link, time zone, map")
            await page.locator("summary", has_text=more).click()
            latitude = page.locator("#field-latitude")
            longitude = page.locator("#field-longitude")

            # When she clicks in the middle of the map (centred on Geneva), whose zoom buttons
            # speak French
            map_box = page.get_by_role("region", name=fr("Map to place the venue"))
            assert await map_box.get_by_role("button", name="Zoom avant").count() == 1
            assert await map_box.get_by_role("button", name="Zoom arrière").count() == 1
            await map_box.click()

            # Then the coordinates are filled in, near the centre of Geneva
            assert abs(float(await latitude.input_value()) - 46.2044) < 0.01
            assert abs(float(await longitude.input_value()) - 6.1432) < 0.01

            # When she types the address and asks for it on the map
            await page.locator("#field-place_name").fill("Maison de quartier des Pâquis")
            await page.locator("#field-street_address").fill("Rue de Berne 50")
            await page.locator("#field-locality").fill("")
            await page.get_by_role("button", name=fr("Find the address on the map")).click()
            choice = page.get_by_role("button", name=FOUND["display_name"])  # type: ignore[arg-type]
            await choice.wait_for()
            await screenshot(page, "event-place-picker")
            await choice.click()

            # Then the place found fills the coordinates and the fields she left empty
            assert await latitude.input_value() == "46.211319"
            assert await longitude.input_value() == "6.146681"
            assert await page.locator("#field-postal_code").input_value() == "1201"
            assert await page.locator("#field-locality").input_value() == "Genève"
            assert await page.locator("#field-street_address").input_value() == "Rue de Berne 50"
            await context.close()

    # And the search was asked in French, for what she typed
    assert len(asked) == 1
    assert asked[0]["q"] == ["Maison de quartier des Pâquis, Rue de Berne 50"]
    assert asked[0]["accept-language"] == ["fr"]
    assert asked[0]["format"] == ["jsonv2"]
