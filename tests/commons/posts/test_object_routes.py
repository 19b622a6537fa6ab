"""Posts and activities at their ids: AS2 JSON for servers, a page for people, tombstones."""

from __future__ import annotations

import httpx2
import pytest
from sqlalchemy import select

from commons.posts.services import delete_note, publish_note
from config.settings import Settings
from config.uris import Uris
from federation.parsing import parse_activity, parse_object
from storage.database import Database
from storage.models import Activity, Post
from tests.actors.actor_support import (
    AP_ACCEPT,
    HTML_ACCEPT,
    Neighbourhood,
    seed_neighbourhood,
    use_session_keys,
)


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


async def publish(
    database: Database, settings: Settings, seeded: Neighbourhood, text: str, **options: object
) -> Post:
    async with database.transaction() as session:
        return await publish_note(
            session, Uris(settings.base_url), seeded.alice, text,
            audience=seeded.repair_cafe, **options,  # type: ignore[arg-type]
        )  # fmt: skip


async def create_activity_of(database: Database, post: Post) -> Activity:
    async with database.session() as session:
        activity = await session.scalar(
            select(Activity).where(Activity.object_uri == post.uri, Activity.type == "Create")
        )
    assert activity is not None
    return activity


async def test_a_post_is_a_note_for_servers(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    # Given
    seeded = await seed_neighbourhood(database, settings)
    post = await publish(database, settings, seeded, "Samedi, **réparation** de vélos.")
    # When
    response = await client.get(post.uri, headers={"Accept": AP_ACCEPT})
    # Then
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json"
    assert "Accept" in response.headers["vary"]
    note = parse_object(response.json())
    assert note.id == post.uri
    assert note.type == "Note"
    assert note.attributed_to == seeded.alice.uri
    assert note.audience == [seeded.repair_cafe.uri]
    assert "<strong>réparation</strong>" in (note.content or "")


async def test_a_post_is_a_page_for_people(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    seeded = await seed_neighbourhood(database, settings)
    post = await publish(database, settings, seeded, "Samedi, **réparation** de vélos.")
    response = await client.get(post.uri, headers={"Accept": HTML_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<strong>réparation</strong>" in response.text
    assert "Alice Martin" in response.text
    assert "Repair Café" in response.text
    assert "@alice@paquis.test" in response.text


async def test_a_deleted_post_is_a_tombstone(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    # Given
    seeded = await seed_neighbourhood(database, settings)
    post = await publish(database, settings, seeded, "Un secret bien gardé")
    create = await create_activity_of(database, post)
    async with database.transaction() as session:
        stored = await session.get(Post, post.id)
        assert stored is not None
        await delete_note(session, Uris(settings.base_url), seeded.alice, stored)
    # When
    response = await client.get(post.uri, headers={"Accept": AP_ACCEPT})
    page = await client.get(post.uri, headers={"Accept": HTML_ACCEPT})
    activity = await client.get(create.uri, headers={"Accept": AP_ACCEPT})
    # Then
    assert response.status_code == 410
    tombstone = response.json()
    assert (tombstone["id"], tombstone["type"], tombstone["formerType"]) == (
        post.uri, "Tombstone", "Note",
    )  # fmt: skip
    assert page.status_code == 410
    assert "secret" not in page.text
    assert activity.status_code == 410
    assert activity.json()["type"] == "Tombstone"
    assert "secret" not in activity.text


async def test_a_public_activity_is_served_as_sent(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    seeded = await seed_neighbourhood(database, settings)
    post = await publish(database, settings, seeded, "Bonjour le quartier")
    create = await create_activity_of(database, post)
    response = await client.get(create.uri, headers={"Accept": AP_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json"
    activity = parse_activity(response.json())
    assert (activity.id, activity.type, activity.actor_uri) == (
        create.uri,
        "Create",
        seeded.alice.uri,
    )
    assert activity.object_uri == post.uri


async def test_followers_only_posts_and_their_activities_are_not_served_yet(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    seeded = await seed_neighbourhood(database, settings)
    post = await publish(database, settings, seeded, "Entre nous", visibility="followers")
    create = await create_activity_of(database, post)
    assert (await client.get(post.uri, headers={"Accept": AP_ACCEPT})).status_code == 404
    assert (await client.get(create.uri, headers={"Accept": AP_ACCEPT})).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/posts/00000000-0000-4000-8000-000000000000",
        "/activities/00000000-0000-4000-8000-000000000000",
        "/posts/not-a-uuid",
    ],
)
async def test_unknown_ids_are_not_found(client: httpx2.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Accept": AP_ACCEPT})
    assert response.status_code == 404
