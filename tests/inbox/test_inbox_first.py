"""POSTs to an inbox are answered before the web pages' middleware (language, sessions, the
viewer…), which a server's POST never needs; every other request still goes through it.

A resident's session shows which way a request went: the pages' middleware loads the viewer,
which writes when the session was last seen (at most every few minutes)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx2
from sqlalchemy import select, update

from config.settings import Settings
from storage.database import Database
from storage.models import WebSession, utcnow
from tests.webui.web_support import log_in_as

ACTIVITY = {"Content-Type": "application/activity+json"}
FOLLOW = (
    b'{"type": "Follow", "id": "https://mastodon.test/f/1", '
    b'"actor": "https://mastodon.test/users/bob", "object": "https://paquis.test/@amelie"}'
)


async def last_seen(database: Database) -> datetime:
    async with database.session() as session:
        seen = await session.scalar(select(WebSession.last_seen_at))
    assert seen is not None
    return seen


async def seen_an_hour_ago(database: Database) -> datetime:
    async with database.transaction() as session:
        await session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
    return await last_seen(database)


async def test_inbox_posts_skip_the_pages_middleware_and_other_requests_do_not(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a browser with Amélie's session cookie, last seen an hour ago
    await log_in_as(client, settings, database, "amelie")
    before = await seen_an_hour_ago(database)

    # When it posts unsigned activities to the inboxes
    for path in ("/inbox", "/@amelie/inbox"):
        response = await client.post(path, content=FOLLOW, headers=ACTIVITY)

        # Then each is refused for its signature, in JSON, and her session is not even read
        assert response.status_code == 401, (path, response.text)
        assert "signature" in response.json()["error"]
        assert await last_seen(database) == before, path

    # And an inbox of nobody is still not found
    missing = await client.post("/@nobody/inbox", content=b"{}", headers=ACTIVITY)
    assert missing.status_code == 404

    # While a page, and an inbox's other methods and neighbours, go through the pages' stack
    for method, path in (("GET", "/home"), ("GET", "/inbox"), ("POST", "/@amelie/inbox/x")):
        before = await seen_an_hour_ago(database)
        await client.request(method, path, headers={"Accept": "text/html"})
        assert await last_seen(database) > before, (method, path)
