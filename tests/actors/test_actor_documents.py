"""Actor documents at the actor URIs: AS2 JSON for servers, a profile page for people."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from sqlalchemy import update

from config.settings import Settings
from federation.parsing import parse_actor
from federation.vocab import build_context
from storage.database import Database
from storage.models import Actor
from tests.actors.actor_support import AP_ACCEPT, HTML_ACCEPT, LD_ACCEPT, seed_neighbourhood

BASE = "http://paquis.test"
REQUIRED = (
    "@context", "id", "type", "preferredUsername", "name", "summary", "url", "inbox", "outbox",
    "followers", "following", "endpoints", "publicKey", "manuallyApprovesFollowers",
    "discoverable", "published", "webfinger",
)  # fmt: skip


async def fetch_actor(client: httpx2.AsyncClient, path: str, accept: str = AP_ACCEPT) -> Any:
    response = await client.get(path, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json"
    assert "Accept" in response.headers["vary"]
    return response.json()


async def test_a_resident_is_a_person(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    # Given
    seeded = await seed_neighbourhood(database, settings)
    # When
    document = await fetch_actor(client, "/@alice")
    # Then
    assert all(key in document for key in REQUIRED)
    assert document["type"] == "Person"
    assert document["id"] == f"{BASE}/@alice"
    assert document["name"] == "Alice Martin"
    assert document["inbox"] == f"{BASE}/@alice/inbox"
    assert document["endpoints"] == {"sharedInbox": f"{BASE}/inbox"}
    assert document["webfinger"] == "alice@paquis.test"
    assert document["discoverable"] is True
    assert document["publicKey"] == {
        "id": f"{BASE}/@alice#main-key",
        "owner": f"{BASE}/@alice",
        "publicKeyPem": seeded.alice.public_key_pem,
    }
    assert "attributedTo" not in document
    parsed = parse_actor(document)
    assert parsed.id == seeded.alice.uri
    assert parsed.preferred_username == "alice"
    assert parsed.public_key_pem == seeded.alice.public_key_pem
    assert parsed.shared_inbox == f"{BASE}/inbox"
    assert parsed.webfinger == "alice@paquis.test"


async def test_a_collective_is_a_group_as_lemmy_reads_it(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    seeded = await seed_neighbourhood(database, settings)
    document = await fetch_actor(client, "/@repair-cafe", LD_ACCEPT)
    group = f"{BASE}/@repair-cafe"
    assert all(key in document for key in REQUIRED)
    assert document["type"] == "Group"
    assert document["summary"] == "<p>On répare ensemble.</p><p>Chaque samedi &lt;3</p>"
    assert document["attributedTo"] == f"{group}/moderators"
    assert document["moderators"] == f"{group}/moderators"
    assert document["members"] == f"{group}/members"
    assert document["featured"] == f"{group}/featured"
    assert document["upcomingEvents"] == f"{group}/events"
    assert document["postingRestrictedToMods"] is False
    assert document["manuallyApprovesFollowers"] is False
    assert document["groupKind"] == "space"
    terms = document["@context"][2]
    for term in ("groupKind", "moderators", "members", "upcomingEvents", "postingRestrictedToMods"):
        assert term in terms
    parsed = parse_actor(document)
    assert parsed.is_group
    assert parsed.public_key_pem == seeded.repair_cafe.public_key_pem


async def test_the_instance_actor_is_an_application(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    seeded = await seed_neighbourhood(database, settings)
    document = await fetch_actor(client, "/actor")
    assert document["type"] == "Application"
    assert document["id"] == f"{BASE}/actor"
    assert document["preferredUsername"] == "instance"
    assert document["@context"] == build_context()
    assert parse_actor(document).public_key_pem == seeded.instance.public_key_pem


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/@alice", "Alice Martin"), ("/@repair-cafe", "Repair Café"), ("/actor", "Quartier Paquis")],
)
async def test_people_get_a_profile_page_at_the_same_url(
    client: httpx2.AsyncClient, database: Database, settings: Settings, path: str, expected: str
) -> None:
    await seed_neighbourhood(database, settings)
    response = await client.get(path, headers={"Accept": HTML_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]
    assert expected in response.text
    assert f'href="{BASE}{path}"' in response.text  # the rel=alternate to the AS2 document


async def test_a_profile_page_shows_the_kind_and_the_address(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    await seed_neighbourhood(database, settings)
    response = await client.get(
        "/@repair-cafe", headers={"Accept": HTML_ACCEPT, "Accept-Language": "en"}
    )
    assert "@repair-cafe@paquis.test" in response.text
    assert "badge-space" in response.text
    assert "Chaque samedi &lt;3" in response.text


@pytest.mark.parametrize("accept", [AP_ACCEPT, HTML_ACCEPT])
async def test_an_unknown_actor_is_not_found(
    client: httpx2.AsyncClient, database: Database, settings: Settings, accept: str
) -> None:
    await seed_neighbourhood(database, settings)
    response = await client.get("/@nobody", headers={"Accept": accept})
    assert response.status_code == 404


async def test_a_gone_actor_is_a_tombstone(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    # Given
    await seed_neighbourhood(database, settings)
    async with database.transaction() as session:
        await session.execute(update(Actor).where(Actor.username == "alice").values(is_gone=True))
    # When
    response = await client.get("/@alice", headers={"Accept": AP_ACCEPT})
    page = await client.get("/@alice", headers={"Accept": HTML_ACCEPT})
    webfinger = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:alice@paquis.test"}
    )
    # Then
    assert response.status_code == 410
    tombstone = response.json()
    assert tombstone["type"] == "Tombstone"
    assert tombstone["id"] == f"{BASE}/@alice"
    assert tombstone["formerType"] == "Person"
    assert page.status_code == 410
    assert "Alice Martin" not in page.text
    assert webfinger.status_code == 410
