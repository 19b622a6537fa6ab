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
