"""Residents invite their neighbours: a link for one person, valid a week, that lets them sign up
on an instance open by invitation only; the admin can keep invitations to the admins."""

from __future__ import annotations

import re
from dataclasses import replace

import httpx2
import pytest

from config.settings import Settings
from quartiers.app import create_app
from storage.database import Database
from tests.actors.actor_support import use_session_keys
from tests.webui.web_support import log_in_as, resident

HTML = {"Accept": "text/html"}
LINK = re.compile(r'value="(http://paquis\.test/invite/[^"]+)"')


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


async def test_a_resident_invites_a_neighbour_who_signs_up_with_the_link(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given an instance open by invitation only, and Inès, a resident
    ines = await log_in_as(client, settings, database, "ines")

    # When she opens her settings, then the invitations page, and makes a link
    assert "Inviter un voisin" in (await client.get("/settings", headers=HTML)).text
    page = await client.get("/invitations", headers=HTML)
    made = await client.post("/invitations", data={"csrf_token": ines.csrf}, headers=HTML)

    # Then the link is shown once, never cached, and her list shows it unused
    assert page.status_code == 200 and "Vous n'avez encore invité personne." in page.text
    assert made.status_code == 200
    assert made.headers["cache-control"] == "no-store"
    found = LINK.search(made.text)
    assert found is not None
    assert "pas encore utilisé" in made.text

    # When her neighbour opens the link in another browser
    transport = client._transport
    async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as neighbour:
        signup = await neighbour.get(found.group(1).removeprefix(settings.base_url), headers=HTML)

    # Then the sign-up form is open to him
    assert signup.status_code == 200
    assert "il faut une invitation" not in signup.text
    assert 'name="invite"' in signup.text


async def test_a_resident_holds_at_most_ten_unused_links(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    ines = await log_in_as(client, settings, database, "ines")
    for _ in range(10):
        made = await client.post("/invitations", data={"csrf_token": ines.csrf}, headers=HTML)
        assert made.status_code == 200
    refused = await client.post("/invitations", data={"csrf_token": ines.csrf}, headers=HTML)
    assert refused.status_code == 400
    assert "Vous avez déjà 10 liens que personne" in refused.text
    assert LINK.search(refused.text) is None


async def test_without_resident_invitations_the_sign_up_page_names_the_admins(
    settings: Settings, database: Database
) -> None:
    # Given an instance where only admins invite, and Léa its admin
    only_admins = replace(settings, webui=replace(settings.webui, residents_invite=False))
    await resident(database, only_admins, "lea", admin=True)
    app = create_app(only_admins, database=database, run_workers=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        # When a resident asks for the invitations page
        ines = await log_in_as(client, only_admins, database, "ines")
        refused = await client.post("/invitations", data={"csrf_token": ines.csrf}, headers=HTML)
        settings_page = await client.get("/settings", headers=HTML)
        client.cookies.clear()
        signup = await client.get("/signup", headers=HTML)

    # Then she may not make links, and her settings do not offer it
    assert refused.status_code == 403
    assert "Inviter un voisin" not in settings_page.text
    # And someone without an invitation is told whom to ask
    assert "il faut une invitation de l'association qui gère l'instance" in signup.text
    assert "Les admins de ce quartier" in signup.text
    assert "@lea@paquis.test" in signup.text
