"""Listing pages kept for visitors: the next visitor gets the page built for the previous one,
until this server writes anything or a few seconds pass; a signed-in resident never gets a
visitor's page; a visitor's page sets no cookie unless it shows a form."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx2
import pytest
import time_machine
from sqlalchemy import select

from config.settings import Settings
from quartiers.app import create_app
from storage.database import Database
from storage.models import Actor, Offer, utcnow
from tests.webui.web_support import log_in_as, resident
from webui.session import SESSION_COOKIE
from webui.visitor_pages import VisitorPages, _Page

HTML = {"Accept": "text/html"}


async def add_offer(database: Database, settings: Settings, title: str) -> None:
    """A gift of Ofeliya's, written through ``database``."""
    async with database.transaction() as session:
        author = await session.scalar(select(Actor).where(Actor.username == "ofeliya"))
        assert author is not None
        session.add(
            Offer(
                uri=f"{settings.base_url}/offers/{title}",
                actor_id=author.id,
                is_local=True,
                purpose="offer",
                kind="don",
                title=title,
                published=utcnow(),
            )
        )


@pytest.fixture
async def other_process(settings: Settings, database: Database) -> AsyncIterator[Database]:
    """The same database through another connection pool: what a separate worker writes."""
    await resident(database, settings, "ofeliya")
    other = Database(database.url, schema=database.schema)
    try:
        yield other
    finally:
        await other.dispose()


async def test_a_visitor_gets_the_kept_page_until_it_is_too_old(
    client: httpx2.AsyncClient, settings: Settings, database: Database, other_process: Database
) -> None:
    first = await client.get("/offers", headers=HTML)
    assert first.status_code == 200 and "Chaise" not in first.text
    assert SESSION_COOKIE not in first.headers.get("set-cookie", "")
    await add_offer(other_process, settings, "Chaise")
    kept = await client.get("/offers", headers=HTML)
    assert kept.text == first.text
    later = utcnow() + timedelta(seconds=settings.webui.visitor_cache_seconds + 1)
    with time_machine.travel(later, tick=False):
        fresh = await client.get("/offers", headers=HTML)
    assert "Chaise" in fresh.text


async def test_a_write_of_this_server_renews_the_page_at_once(
    client: httpx2.AsyncClient, settings: Settings, database: Database, other_process: Database
) -> None:
    assert "Chaise" not in (await client.get("/offers", headers=HTML)).text
    await add_offer(database, settings, "Chaise")
    assert "Chaise" in (await client.get("/offers", headers=HTML)).text


async def test_a_signed_in_resident_never_gets_a_visitors_page(
    client: httpx2.AsyncClient, settings: Settings, database: Database, other_process: Database
) -> None:
    await client.get("/offers", headers=HTML)
    await log_in_as(client, settings, database, "amina")
    await add_offer(other_process, settings, "Chaise")
    page = await client.get("/offers", headers=HTML)
    assert "Chaise" in page.text and "amina" in page.text


async def test_each_language_and_address_has_its_own_page(client: httpx2.AsyncClient) -> None:
    french = await client.get("/offers", headers={**HTML, "Accept-Language": "fr"})
    english = await client.get("/offers", headers={**HTML, "Accept-Language": "en"})
    assert french.headers["content-language"] == "fr"
    assert english.headers["content-language"] == "en" and english.text != french.text
    lending = await client.get("/offers?kind=pret", headers={**HTML, "Accept-Language": "en"})
    assert lending.text != english.text
    again = await client.get("/offers", headers={**HTML, "Accept-Language": "fr"})
    assert again.text == french.text and again.headers["content-language"] == "fr"


async def test_a_page_with_a_form_sets_its_token_and_is_never_kept(
    client: httpx2.AsyncClient,
) -> None:
    first = await client.get("/login", headers=HTML)
    assert SESSION_COOKIE in first.headers["set-cookie"]
    client.cookies.clear()
    second = await client.get("/login", headers=HTML)
    assert SESSION_COOKIE in second.headers["set-cookie"]
    assert first.text != second.text  # each visitor's own token


async def test_no_page_is_kept_when_the_admin_says_so(
    settings: Settings, database: Database, other_process: Database
) -> None:
    never = dataclasses.replace(
        settings, webui=dataclasses.replace(settings.webui, visitor_cache_seconds=0)
    )
    app = create_app(never, database=database, run_workers=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=never.base_url) as client:
        await client.get("/offers", headers=HTML)
        await add_offer(other_process, never, "Chaise")
        assert "Chaise" in (await client.get("/offers", headers=HTML)).text


def test_the_store_keeps_the_most_recently_used_pages_within_its_bytes() -> None:
    pages = VisitorPages(seconds=10, max_bytes=250)
    for n in range(3):
        pages.keep(("/offers", str(n)), _Page(b"x" * 100, (), 0, time.time()))
    assert len(pages) == 2 and pages.size == 200
    assert pages.get(("/offers", "0"), 0) is None
    assert pages.get(("/offers", "2"), 0) is not None
    assert pages.get(("/offers", "2"), 1) is None  # a write since: gone
