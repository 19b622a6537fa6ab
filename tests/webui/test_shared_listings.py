"""The listings of the marketplace and the agendas shared by signed-in residents: the next
resident gets the list the previous one had built, inside a frame of their own (their name,
their unread notifications, their token), until this server writes anything or a few seconds
pass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace

import httpx2
import pytest
import time_machine

from commons.notifications import notify
from config.settings import Settings
from quartiers.app import create_app
from storage.database import Database
from storage.models import utcnow
from tests.commons.agenda.test_agenda import add_event, geneva, neighbourhood
from tests.webui.test_visitor_pages import HTML, add_offer
from tests.webui.test_visitor_pages import other_process as other_process  # the fixture
from tests.webui.web_support import log_in_as
from webui.templating import build_templates


@pytest.fixture
async def clients(
    settings: Settings, database: Database
) -> AsyncIterator[tuple[httpx2.AsyncClient, httpx2.AsyncClient]]:
    """Two browsers on the same server."""
    app = create_app(settings, database=database, run_workers=False)
    transport = httpx2.ASGITransport(app=app)
    async with (
        httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as first,
        httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as second,
    ):
        yield first, second


async def test_the_next_resident_gets_the_listing_in_a_frame_of_their_own(
    clients: tuple[httpx2.AsyncClient, httpx2.AsyncClient],
    settings: Settings,
    database: Database,
    other_process: Database,
) -> None:
    amina, bastien = clients
    await log_in_as(amina, settings, database, "amina")
    signed_bastien = await log_in_as(bastien, settings, database, "bastien")
    async with database.transaction() as session:
        await notify(session, signed_bastien.actor.id, "follow", None)

    first = await amina.get("/offers", headers=HTML)
    assert first.status_code == 200 and "/@amina" in first.text
    await add_offer(other_process, settings, "Chaise")
    shared = await bastien.get("/offers", headers=HTML)
    assert shared.status_code == 200 and "Chaise" not in shared.text  # the list amina had built
    assert "/@bastien" in shared.text and "/@amina" not in shared.text
    assert 'class="nav-count">1<' in shared.text and "nav-count" not in first.text
    assert signed_bastien.csrf in shared.text and signed_bastien.csrf not in first.text
    assert 'href="/offers/new"' in shared.text

    later = utcnow() + timedelta(seconds=settings.webui.visitor_cache_seconds + 1)
    with time_machine.travel(later, tick=False):
        assert "Chaise" in (await bastien.get("/offers", headers=HTML)).text


async def test_a_write_of_this_server_renews_the_listing_at_once(
    clients: tuple[httpx2.AsyncClient, httpx2.AsyncClient],
    settings: Settings,
    database: Database,
    other_process: Database,
) -> None:
    amina, bastien = clients
    await log_in_as(amina, settings, database, "amina")
    await log_in_as(bastien, settings, database, "bastien")
    assert "Chaise" not in (await amina.get("/offers", headers=HTML)).text
    await add_offer(database, settings, "Chaise")
    assert "Chaise" in (await bastien.get("/offers", headers=HTML)).text


async def test_visitors_and_residents_do_not_share_a_listing(
    clients: tuple[httpx2.AsyncClient, httpx2.AsyncClient],
    settings: Settings,
    database: Database,
) -> None:
    visitor, amina = clients
    await log_in_as(amina, settings, database, "amina")
    seen_by_visitor = await visitor.get("/offers", headers={**HTML, "Accept-Language": "fr"})
    seen_by_amina = await amina.get("/offers", headers={**HTML, "Accept-Language": "fr"})
    assert 'href="/offers/new"' not in seen_by_visitor.text
    assert 'href="/offers/new"' in seen_by_amina.text


def keeping(template_text: str, *, token: str) -> list[str]:
    """What the listing filter hands over when a page showing ``template_text`` is rendered."""
    kept: list[str] = []
    environment = build_templates("Europe/Zurich").env
    request = SimpleNamespace(state=SimpleNamespace(page_has_token=True), session={"csrf": token})
    environment.from_string(template_text).render(
        request=request, keep_listing=kept.append, csrf_token=token, lots="<b>"
    )
    return kept


def test_a_listing_that_shows_the_token_is_never_kept() -> None:
    token = "a-token-of-one-reader"
    assert keeping("{% filter keep_listing %}<p>{{ lots }}</p>{% endfilter %}", token=token) == [
        "<p>&lt;b&gt;</p>"
    ]
    showing = '{% filter keep_listing %}<input value="{{ csrf_token }}">{% endfilter %}'
    assert keeping(showing, token=token) == []


async def test_residents_share_the_city_agenda_in_frames_of_their_own(
    clients: tuple[httpx2.AsyncClient, httpx2.AsyncClient],
    settings: Settings,
    database: Database,
    other_process: Database,
) -> None:
    amina, bastien = clients
    await log_in_as(amina, settings, database, "amina")
    signed_bastien = await log_in_as(bastien, settings, database, "bastien")
    world = await neighbourhood(database)
    month = "/agenda/city?view=month&date=2026-04-01"

    first = await amina.get(month, headers=HTML)
    assert first.status_code == 200 and "Plantation" in first.text and "/@amina" in first.text
    await add_event(other_process, world["forum"], "Fête des voisins", geneva(2026, 4, 22, 18, 0))
    shared = await bastien.get(month, headers=HTML)
    assert "Plantation" in shared.text and "Fête des voisins" not in shared.text
    assert "/@bastien" in shared.text and "/@amina" not in shared.text
    assert 'href="/calendar"' in shared.text  # what a signed-in resident may do
    assert signed_bastien.csrf in shared.text

    later = utcnow() + timedelta(seconds=settings.webui.visitor_cache_seconds + 1)
    with time_machine.travel(later, tick=False):
        assert "Fête des voisins" in (await bastien.get(month, headers=HTML)).text
