"""A NUL character, which PostgreSQL refuses in any text, never reaches the database: refused in
an address, taken out of a form. (Out of JSON bodies: ``tests/federation/test_bodies.py`` and
the inbox's ``test_receive_edges.py``.)"""

from __future__ import annotations

import httpx2
import pytest

from config.settings import Settings
from storage.database import Database
from tests.webui.test_posts import compose, latest_post
from tests.webui.web_support import log_in_as

HTML = {"Accept": "text/html"}


@pytest.mark.parametrize(
    "address",
    ["/@leo%00", "/@leo%00/outbox", "/tags/velo%00", "/offers?q=v%00lo", "/search?q=%00",
     "/.well-known/webfinger?resource=acct:leo%00@paquis.test"],
)  # fmt: skip
async def test_an_address_holding_a_nul_character_is_refused_with_why(
    client: httpx2.AsyncClient, settings: Settings, database: Database, address: str
) -> None:
    await log_in_as(client, settings, database, "leo")
    response = await client.get(address, headers=HTML)
    assert response.status_code == 400
    assert response.text == "an address cannot hold a NUL character (%00)"


async def test_an_inbox_address_holding_a_nul_character_is_refused(
    client: httpx2.AsyncClient,
) -> None:
    response = await client.post(
        "/@leo%00/inbox", content=b"{}", headers={"Content-Type": "application/activity+json"}
    )
    assert response.status_code == 400


async def test_a_nul_character_is_taken_out_of_what_a_form_sends(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    leo = await log_in_as(client, settings, database, "leo")
    response = await compose(client, leo, "Vide-\x00grenier", summary="Brocante\x00")
    assert response.status_code == 303
    post = await latest_post(database, leo.actor.id)
    assert "Vide-grenier" in post.content_html and post.summary == "Brocante"
