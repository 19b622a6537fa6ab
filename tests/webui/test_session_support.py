"""The session helper of the page tests really logs a resident in."""

from __future__ import annotations

import httpx2

from config.settings import Settings
from storage.database import Database
from tests.webui.web_support import log_in_as


async def test_logged_in_viewer_sees_their_menu(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    await log_in_as(client, settings, database, "amelie")
    page = await client.get("/", headers={"Accept": "text/html"})
    assert 'action="/logout"' in page.text and "/@amelie" in page.text


async def test_a_form_post_without_its_token_is_refused(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given amelie, logged in
    await log_in_as(client, settings, database, "amelie")
    # When a form posts to /logout without her CSRF token
    response = await client.post("/logout", data={}, headers={"Accept": "text/html"})
    # Then it is refused for its token, and she is still logged in
    assert response.status_code == 403
    page = await client.get("/", headers={"Accept": "text/html"})
    assert 'action="/logout"' in page.text and "/@amelie" in page.text
