"""Followers, following, outbox and a collective's collections, paged as OrderedCollections."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from commons.posts.services import delete_note, publish_note
from config.settings import Settings
from config.uris import Uris
from storage.database import Database
from storage.models import Membership
from storage.models.follows import PENDING
from tests.actors.actor_support import (
    AP_ACCEPT,
    add_follows,
    add_remote_people,
    seed_neighbourhood,
)

BASE = "http://paquis.test"


async def get_json(client: httpx2.AsyncClient, url: str, status: int = 200) -> Any:
    response = await client.get(url, headers={"Accept": AP_ACCEPT})
    assert response.status_code == status, response.text
    if status == 200:
        assert response.headers["content-type"] == "application/activity+json"
    return response.json() if status == 200 else None


async def test_45_followers_are_served_in_three_pages_newest_first(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    # Given 45 accepted followers of the collective, and 2 pending ones
    seeded = await seed_neighbourhood(database, settings)
    people = await add_remote_people(database, 47)
    await add_follows(database, people[:45], [seeded.repair_cafe])
    await add_follows(database, people[45:], [seeded.repair_cafe], state=PENDING)
    collection = f"{BASE}/@repair-cafe/followers"
    # When
    root = await get_json(client, collection)
    pages = [root["first"]]
    documents = []
    while pages[-1] is not None:
        documents.append(await get_json(client, pages[-1]))
        pages.append(documents[-1].get("next"))
    # Then
    assert root["type"] == "OrderedCollection"
    assert root["totalItems"] == 45
    assert "orderedItems" not in root
    assert [len(page["orderedItems"]) for page in documents] == [20, 20, 5]
    assert pages[:3] == [f"{collection}?page={n}" for n in (1, 2, 3)]
    for number, page in enumerate(documents, start=1):
        assert page["type"] == "OrderedCollectionPage"
        assert page["id"] == f"{collection}?page={number}"
        assert page["partOf"] == collection
        assert page.get("prev") == (f"{collection}?page={number - 1}" if number > 1 else None)
    items = [item for page in documents for item in page["orderedItems"]]
    assert items == [person.uri for person in reversed(people[:45])]


async def test_following_lists_whom_the_resident_follows(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    seeded = await seed_neighbourhood(database, settings)
    people = await add_remote_people(database, 3)
    await add_follows(database, [seeded.alice], people)
    root = await get_json(client, f"{BASE}/@alice/following")
    assert root["totalItems"] == 3
    assert root["orderedItems"] == [person.uri for person in reversed(people)]
    page = await get_json(client, root["first"])
    assert page["orderedItems"] == root["orderedItems"]
    assert "next" not in page


async def test_the_outbox_holds_public_activities_newest_first(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    # Given 22 public notes, one followers-only note, and a deleted note
    seeded = await seed_neighbourhood(database, settings)
    uris = Uris(settings.base_url)
    async with database.transaction() as session:
        notes = [await publish_note(session, uris, seeded.alice, f"Message {n}") for n in range(22)]
        await publish_note(session, uris, seeded.alice, "Entre nous", visibility="followers")
        deleted = await publish_note(session, uris, seeded.alice, "Oups")
        await delete_note(session, uris, seeded.alice, deleted)
    # When
    root = await get_json(client, f"{BASE}/@alice/outbox")
    first = await get_json(client, root["first"])
    second = await get_json(client, first["next"])
    # Then: 22 Creates and the Delete; neither the private note nor the deleted one's Create
    assert root["totalItems"] == 23
    items = first["orderedItems"] + second["orderedItems"]
    assert [item["type"] for item in items] == ["Delete"] + ["Create"] * 22
    assert [item["object"]["id"] for item in items[1:]] == [note.uri for note in reversed(notes)]
    assert "@context" not in items[0]
    assert items[1]["object"]["content"] == "<p>Message 21</p>\n"
    assert second["prev"] == root["first"]


async def test_a_collective_lists_members_and_moderators(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    seeded = await seed_neighbourhood(database, settings)
    people = await add_remote_people(database, 3)
    async with database.transaction() as session:
        session.add_all(
            [
                Membership(group_id=seeded.repair_cafe.id, member_id=people[0].id, role="member"),
                Membership(
                    group_id=seeded.repair_cafe.id, member_id=people[1].id, role="facilitator"
                ),
            ]
        )
    group = f"{BASE}/@repair-cafe"
    members = await get_json(client, f"{group}/members")
    moderators = await get_json(client, f"{group}/moderators")
    assert members["totalItems"] == 3
    assert members["orderedItems"] == [seeded.alice.uri, people[0].uri, people[1].uri]
    assert moderators["orderedItems"] == [seeded.alice.uri, people[1].uri]


@pytest.mark.parametrize("name", ["featured", "events"])
async def test_featured_and_events_are_empty_for_now(
    client: httpx2.AsyncClient, database: Database, settings: Settings, name: str
) -> None:
    await seed_neighbourhood(database, settings)
    root = await get_json(client, f"{BASE}/@repair-cafe/{name}")
    assert root == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{BASE}/@repair-cafe/{name}",
        "type": "OrderedCollection",
        "totalItems": 0,
        "first": f"{BASE}/@repair-cafe/{name}?page=1",
        "orderedItems": [],
    }
    page = await get_json(client, root["first"])
    assert page["orderedItems"] == []


async def test_every_collection_the_actors_name_answers(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    await seed_neighbourhood(database, settings)
    for path in ("/@alice", "/@repair-cafe", "/actor"):
        actor = await get_json(client, path)
        for key in ("outbox", "followers", "following", "members", "moderators", "featured",
                    "upcomingEvents"):  # fmt: skip
            if key in actor:
                collection = await get_json(client, actor[key])
                assert collection["id"] == actor[key]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/@alice/members", 404),
        ("/@alice/events", 404),
        ("/@nobody/followers", 404),
        ("/@alice/followers?page=0", 400),
        ("/@alice/followers?page=two", 400),
    ],
)
async def test_wrong_collections_and_pages_are_refused(
    client: httpx2.AsyncClient, database: Database, settings: Settings, url: str, status: int
) -> None:
    await seed_neighbourhood(database, settings)
    await get_json(client, url, status)


async def test_upcoming_events_leave_out_a_series_whose_rule_has_run_out(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    from datetime import UTC, datetime, timedelta

    from commons.events import services as events

    # Given a collective with a past event, a cancelled one, a weekly series that ended, a
    # weekly series without end (both begun ten weeks ago) and an event in three days
    seeded = await seed_neighbourhood(database, settings)
    now = datetime.now(UTC).replace(microsecond=0)
    begun = now - timedelta(weeks=10, days=1)

    async def publish(title: str, start: datetime, **changes: Any) -> str:
        fields = events.EventFields(title=title, start=start, end=start + timedelta(hours=2),
                                    place_name="Maison de quartier", **changes)  # fmt: skip
        async with database.transaction() as session:
            event = await events.create_event(
                session, Uris(settings.base_url), seeded.alice, seeded.repair_cafe, fields
            )
            if title == "Annulé":
                await events.cancel_event(session, Uris(settings.base_url), seeded.alice, event)
            return event.uri

    await publish("Passé", now - timedelta(days=2))
    await publish("Annulé", now + timedelta(days=1))
    await publish("Série finie", begun, rrule="FREQ=WEEKLY;COUNT=3")
    weekly = await publish("Chaque semaine", begun, rrule="FREQ=WEEKLY")
    soon = await publish("Dans trois jours", now + timedelta(days=3))

    # When the collection of its upcoming events is read
    root = await get_json(client, f"{BASE}/@repair-cafe/events")

    # Then only the running series and the coming event are there, the soonest first
    assert root["totalItems"] == 2
    assert [item["id"] for item in root["orderedItems"]] == [soon, weekly]
