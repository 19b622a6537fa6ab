"""``/places/search``: the address search of the forms, through the geocoder the admin chose.

The geocoder is a small HTTP server on 127.0.0.1 answering as Nominatim does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx2

from config.settings import Settings
from quartiers.app import create_app
from storage.database import Database
from tests.webui.web_support import log_in_as

JSON = {"Accept": "application/json"}
FOUND = {
    "lat": "46.2113190",
    "lon": "6.1466810",
    "display_name": "50, Rue de Berne, Genève, 1201, Suisse",
    "address": {"road": "Rue de Berne", "house_number": "50", "postcode": "1201", "city": "Genève"},
}


@asynccontextmanager
async def geocoder(status: int, answer: object, asked: list[str]) -> AsyncIterator[str]:
    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        asked.append(head.split(" ")[1])
        body = json.dumps(answer).encode()
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(respond, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/search"
    finally:
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def client_with_geocoder(
    settings: Settings, database: Database, geocoder_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    configured = replace(settings, webui=replace(settings.webui, geocoder_url=geocoder_url))
    app = create_app(configured, database=database, run_workers=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        yield client


async def test_found_places_come_back_as_json(settings: Settings, database: Database) -> None:
    asked: list[str] = []
    async with (
        geocoder(200, [FOUND], asked) as url,
        client_with_geocoder(settings, database, url) as client,
    ):
        await log_in_as(client, settings, database, "amina")
        response = await client.get("/places/search", params={"q": "Rue de Berne 50"}, headers=JSON)

    assert response.status_code == 200
    assert response.json() == {
        "places": [
            {
                "label": "50, Rue de Berne, Genève, 1201, Suisse",
                "latitude": 46.211319,
                "longitude": 6.146681,
                "street": "Rue de Berne 50",
                "postal_code": "1201",
                "locality": "Genève",
            }
        ]
    }
    assert "q=Rue+de+Berne+50" in asked[0] and "accept-language=fr" in asked[0]


async def test_nothing_found_and_a_failing_search_say_so_in_french(
    settings: Settings, database: Database
) -> None:
    asked: list[str] = []
    async with geocoder(200, [], asked) as url, client_with_geocoder(settings, database, url) as c:
        await log_in_as(c, settings, database, "amina")
        empty = await c.get("/places/search", params={"q": "Rue imaginaire"}, headers=JSON)
    async with geocoder(500, {}, asked) as url, client_with_geocoder(settings, database, url) as c:
        await log_in_as(c, settings, database, "bea")
        failing = await c.get("/places/search", params={"q": "Rue de Berne"}, headers=JSON)

    assert empty.status_code == 200
    assert empty.json() == {"places": [], "error": "Aucun lieu trouvé pour cette adresse."}
    assert failing.status_code == 502
    assert "Cliquez plutôt sur la carte" in failing.json()["error"]


async def test_the_search_needs_a_resident_a_query_and_a_geocoder(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Nobody logged in: no search on the neighbourhood's account
    anonymous = await client.get("/places/search", params={"q": "Rue de Berne"}, headers=JSON)
    assert anonymous.status_code == 401

    # Without a geocoder configured, the search says it is not available
    await log_in_as(client, settings, database, "amina")
    missing = await client.get("/places/search", params={"q": "Rue de Berne"}, headers=JSON)
    assert missing.status_code == 404
    assert missing.json()["error"] == "La recherche d'adresse n'est pas disponible ici."

    # A query too short is refused before any search is asked
    asked: list[str] = []
    async with (
        geocoder(200, [FOUND], asked) as url,
        client_with_geocoder(settings, database, url) as configured,
    ):
        await log_in_as(configured, settings, database, "bea")
        short = await configured.get("/places/search", params={"q": " a "}, headers=JSON)
    assert short.status_code == 400 and "trois caractères" in short.json()["error"]
    assert asked == []
