"""An address with a number no row can have is not found, on both databases (PostgreSQL's
``integer`` stops at 2,147,483,647: a longer number must not reach it)."""

from __future__ import annotations

import httpx2
import pytest

from config.settings import Settings
from storage.database import Database
from tests.webui.web_support import log_in_as

HTML = {"Accept": "text/html", "Accept-Language": "fr"}
HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/events/remote/{HUGE}",
        "/events/remote/2147483648",
        f"/offers/remote/{HUGE}",
        f"/petitions/remote/{HUGE}",
        f"/polls/remote/{HUGE}",
        f"/posts/{HUGE}",
        "/posts/2147483648",
        "/events/remote/123456789",
    ],
)
async def test_a_number_no_row_can_have_is_not_found(client: httpx2.AsyncClient, path: str) -> None:
    response = await client.get(path, headers=HTML)
    assert response.status_code == 404


async def test_an_admin_action_on_a_number_no_row_can_have_is_not_found(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    admin = await log_in_as(client, settings, database, "leo", admin=True)
    for path in (f"/admin/signups/{HUGE}/approve", "/admin/invitations/2147483648/revoke"):
        response = await client.post(path, data={"csrf_token": admin.csrf}, headers=HTML)
        assert response.status_code == 404, path


NO_ROW_ID = ["2147483648", HUGE, "9" * 5000, "²"]


@pytest.mark.parametrize("before", NO_ROW_ID)
async def test_a_cursor_no_row_can_have_shows_the_first_page(
    client: httpx2.AsyncClient, settings: Settings, database: Database, before: str
) -> None:
    await log_in_as(client, settings, database, "leo")
    for path in ("/", "/local", "/city", "/notifications", "/offers", "/offers?scope=city&"):
        joined = "&" if "?" in path and not path.endswith("&") else ("" if "?" in path else "?")
        response = await client.get(f"{path}{joined}before={before}", headers=HTML)
        assert response.status_code == 200, path


@pytest.mark.parametrize("number", NO_ROW_ID)
async def test_a_collection_page_or_cursor_no_row_can_have_is_refused_with_why(
    client: httpx2.AsyncClient, settings: Settings, database: Database, number: str
) -> None:
    await log_in_as(client, settings, database, "leo")
    activity_json = {"Accept": "application/activity+json"}
    for query in (f"page={number}", f"before={number}"):
        for path in ("/actor/outbox", "/@leo/outbox", "/@leo/followers"):
            response = await client.get(f"{path}?{query}", headers=activity_json)
            assert response.status_code == 400, (path, query)


async def test_a_form_naming_a_row_no_row_can_have_is_refused(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    leo = await log_in_as(client, settings, database, "leo")
    for path, field in (
        ("/search/follow", "actor_id"),
        ("/search/unfollow", "actor_id"),
        ("/shares", "item_id"),
    ):
        for number in NO_ROW_ID:
            data = {"csrf_token": leo.csrf, field: number, "kind": "post", "collective": "club"}
            response = await client.post(path, data=data, headers=HTML)
            assert response.status_code == 400, (path, number)
