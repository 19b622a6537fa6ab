"""The map: useful without JavaScript or Leaflet, Leaflet from our own files, no third party."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest

from config.settings import Settings
from storage.database import Database
from tests.commons.agenda.test_agenda import add_collective, add_event
from webui import leaflet

TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


async def located_world(database: Database) -> None:
    cafe = await add_collective(
        database,
        "repair-cafe",
        name="Repair Café",
        latitude=46.2102,
        longitude=6.1432,
        place_name="Maison de quartier",
        street_address="Rue de Berne 10",
        postal_code="1201",
        locality="Genève",
        opening_hours="Samedi 10:00–13:00",
    )
    await add_event(
        database,
        cafe,
        "Troc de plantes </script><b>",
        datetime.now(UTC) + timedelta(days=3),
        latitude=46.2044,
        longitude=6.1432,
        place_name="Parc des Bastions",
    )
    await add_event(database, cafe, "Sans lieu", datetime.now(UTC) + timedelta(days=2))


def map_data(page: str) -> dict[str, object]:
    block = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', page, re.S)
    assert block is not None
    data: dict[str, object] = json.loads(block.group(1))
    return data


@pytest.fixture
def without_leaflet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(leaflet, "LEAFLET_DIR", tmp_path / "absent")


@pytest.fixture
def with_leaflet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = tmp_path / "leaflet"
    folder.mkdir()
    (folder / "leaflet.js").write_text("/* fake */")
    (folder / "leaflet.css").write_text("/* fake */")
    monkeypatch.setattr(leaflet, "LEAFLET_DIR", folder)


@pytest.mark.usefixtures("without_leaflet")
async def test_without_leaflet_the_map_page_lists_places_with_osm_links(
    client: httpx2.AsyncClient, database: Database
) -> None:
    # Given a located space and a located event (and one without a place)
    await located_world(database)

    # When the map is opened without Leaflet installed
    response = await client.get("/map", headers={"Accept-Language": "fr"})

    # Then the places are listed with their address, date and an OpenStreetMap link
    assert response.status_code == 200
    page = response.text
    assert "Repair Café" in page
    assert "Maison de quartier, Rue de Berne 10, 1201 Genève" in page
    assert "Samedi 10:00–13:00" in page
    assert (
        "https://www.openstreetmap.org/?mlat=46.21020&amp;mlon=6.14320#map=17/46.21020/6.14320"
        in page
    )
    assert "Troc de plantes &lt;/script&gt;&lt;b&gt;" in page
    assert "Sans lieu" not in page
    # And the data is there as JSON, with the tiles to use, that no text can break out of
    data = map_data(page)
    assert data["tiles"] == TILES
    assert [p["name"] for p in data["places"]] == ["Repair Café"]  # type: ignore[attr-defined]
    assert [e["name"] for e in data["events"]] == ["Troc de plantes </script><b>"]  # type: ignore[attr-defined]
    assert "\\u003c/script\\u003e" in page
    # And no Leaflet tag is included
    assert "leaflet.js" not in page
    assert "map.js" not in page


@pytest.mark.usefixtures("with_leaflet")
async def test_with_leaflet_installed_the_page_includes_it_from_our_static_files(
    client: httpx2.AsyncClient, database: Database
) -> None:
    await located_world(database)
    page = (await client.get("/map")).text
    assert 'src="http://paquis.test/static/vendor/leaflet/leaflet.js"' in page
    assert 'href="http://paquis.test/static/vendor/leaflet/leaflet.css"' in page
    assert 'src="http://paquis.test/static/map.js"' in page


@pytest.mark.usefixtures("with_leaflet")
async def test_the_map_page_loads_nothing_from_a_third_party(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    # Given the map page with Leaflet
    await located_world(database)
    page = (await client.get("/map")).text

    # Then every script, stylesheet and image comes from this instance
    loaded = re.findall(r'<(?:script|img|iframe)[^>]*\ssrc="([^"]+)"', page)
    loaded += re.findall(r'<link[^>]*\shref="([^"]+)"', page)
    assert loaded
    for address in loaded:
        assert address.startswith(("/", f"{settings.base_url}/")), address
    # And the only other host the page may call is the configured tile server
    data = map_data(page)
    assert data["tiles"] == settings.webui.map_tiles_url
    hosts = set(re.findall(r"https?://([^/\"'?#]+)", page))
    assert hosts <= {"paquis.test", "tile.openstreetmap.org", "www.openstreetmap.org"}


def test_our_map_script_calls_no_host() -> None:
    script = (Path(leaflet.__file__).parent / "static" / "map.js").read_text()
    assert "http" not in script
    assert "innerHTML" not in script
