"""NodeInfo discovery and documents: schema-valid, and counting what the database holds."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx2
import jsonschema
import pytest
from sqlalchemy import update

import quartiers
from actors.services import create_account
from commons.posts.services import delete_note, publish_note
from config.settings import Settings
from config.uris import Uris
from quartiers.app import create_app
from storage.database import Database
from storage.models import Actor, utcnow
from tests.actors.actor_support import seed_neighbourhood
from tests.support import SHARED

SCHEMAS = SHARED / "vectors" / "nodeinfo-schemas"


def schema(version: str) -> dict[str, Any]:
    if not SCHEMAS.is_dir():
        pytest.skip(f"the shared test data is absent: {SCHEMAS} (NodeInfo JSON schemas)")
    loaded: dict[str, Any] = json.loads((SCHEMAS / version / "schema.json").read_text())
    return loaded


async def test_discovery_links_both_versions(client: httpx2.AsyncClient) -> None:
    response = await client.get("/.well-known/nodeinfo")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["links"] == [
        {
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
            "href": "http://paquis.test/nodeinfo/2.0",
        },
        {
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": "http://paquis.test/nodeinfo/2.1",
        },
    ]


@pytest.mark.parametrize("version", ["2.0", "2.1"])
async def test_each_version_validates_against_its_schema(
    client: httpx2.AsyncClient, database: Database, settings: Settings, version: str
) -> None:
    # Given
    await seed_neighbourhood(database, settings)
    # When
    response = await client.get(f"/nodeinfo/{version}")
    # Then
    assert response.status_code == 200
    assert response.headers["content-type"] == (
        f'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"'
    )
    document = response.json()
    jsonschema.Draft4Validator(schema(version)).validate(document)
    assert document["software"] == {
        "name": "quartiers-collaboratifs",
        "version": quartiers.__version__,
    }
    assert document["protocols"] == ["activitypub"]
    assert document["openRegistrations"] is False
    assert document["metadata"] == {
        "nodeName": "Quartier Paquis",
        "neighbourhood": "Quartier Paquis",
        "city": "Genève",
        "languages": ["fr", "en"],
        "nodeDescription": "",
        "contact": "",
        "area": None,
        "directory": "http://paquis.test/quartiers.json",
    }


async def test_usage_counts_residents_activity_and_local_posts(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    # Given alice (new), bob (joined 100 days ago, posted today), carol (joined a year ago, silent)
    seeded = await seed_neighbourhood(database, settings)
    uris = Uris(settings.base_url)
    async with database.transaction() as session:
        bob = await create_account(session, settings, "bob", None)
        carol = await create_account(session, settings, "carol", None)
        await session.execute(
            update(Actor)
            .where(Actor.id == bob.actor_id)
            .values(created_at=utcnow() - timedelta(days=100))
        )
        await session.execute(
            update(Actor)
            .where(Actor.id == carol.actor_id)
            .values(created_at=utcnow() - timedelta(days=365))
        )
        bob_actor = await session.get(Actor, bob.actor_id)
        assert bob_actor is not None
        await publish_note(session, uris, bob_actor, "Qui a une perceuse ?")
        await publish_note(session, uris, seeded.repair_cafe, "Samedi, on répare.")
        gone = await publish_note(session, uris, seeded.alice, "Oups")
        await delete_note(session, uris, seeded.alice, gone)
    # When
    response = await client.get("/nodeinfo/2.1")
    # Then
    usage = response.json()["usage"]
    assert usage == {
        "users": {"total": 3, "activeMonth": 2, "activeHalfyear": 2},
        "localPosts": 2,
    }


async def test_open_registrations_follow_the_settings(
    database: Database, settings: Settings
) -> None:
    open_settings = replace(settings, webui=replace(settings.webui, registration="open"))
    app = create_app(open_settings, database=database, run_workers=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        response = await client.get("/nodeinfo/2.0")
    assert response.json()["openRegistrations"] is True


async def test_an_unknown_version_is_not_found(client: httpx2.AsyncClient) -> None:
    response = await client.get("/nodeinfo/3.0", headers={"Accept": "application/json"})
    assert response.status_code == 404
