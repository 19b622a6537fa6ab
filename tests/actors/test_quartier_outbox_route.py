"""The quartier's outbox (``/actor/outbox``): the public activities of its collectives, newest
first, in pages keyed by activity id, which a federating quartier reads to see their past."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx2

from commons.events import services as events
from commons.posts.services import delete_note, publish_note
from config.settings import Settings
from config.uris import Uris
from storage.database import Database
from storage.models import Actor
from tests.actors.actor_support import seed_neighbourhood
from tests.actors.test_collection_routes import get_json

OUTBOX = "http://paquis.test/actor/outbox"


async def test_the_quartier_outbox_pages_the_public_activities_of_its_collectives(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    # Given 60 public notes of the Repair Café, and what must not be listed: a followers-only
    # note, a deleted note, a resident's own note, a deleted event; and an event edited after
    # it was published
    seeded = await seed_neighbourhood(database, settings)
    uris = Uris(settings.base_url)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    fields = events.EventFields(
        title="Repair Café", start=start, end=start + timedelta(hours=2), place_name="Pâquis"
    )
    async with database.transaction() as session:
        cafe = await session.get(Actor, seeded.repair_cafe.id)
        alice = await session.get(Actor, seeded.alice.id)
        assert cafe is not None and alice is not None
        notes = [await publish_note(session, uris, cafe, f"Annonce {n}") for n in range(60)]
        await publish_note(session, uris, cafe, "Entre membres", visibility="followers")
        deleted = await publish_note(session, uris, cafe, "Oups")
        await delete_note(session, uris, cafe, deleted)
        await publish_note(session, uris, alice, "Mon message à moi")
        event = await events.create_event(session, uris, alice, cafe, fields)
        await events.edit_event(
            session, uris, alice, event, replace(fields, title="Repair Café (salle 2)")
        )
        gone = await events.create_event(
            session, uris, alice, cafe, replace(fields, title="Annulé")
        )
        await events.delete_event(session, uris, alice, gone)

    # When a server reads it, page after page
    root = await get_json(client, OUTBOX)
    first = await get_json(client, root["first"])
    second = await get_json(client, first["next"])

    # Then it lists the 60 notes and the event's newest version only, newest first
    assert root["type"] == "OrderedCollection" and root["totalItems"] == 61
    assert root["first"] == f"{OUTBOX}?page=1"
    assert len(first["orderedItems"]) == 50 and "next" not in second
    items = first["orderedItems"] + second["orderedItems"]
    assert [item["type"] for item in items] == ["Update"] + ["Create"] * 60
    assert items[0]["object"]["name"] == "Repair Café (salle 2)"
    assert [item["object"]["id"] for item in items[1:]] == [n.uri for n in reversed(notes)]
    assert all(item["actor"] == cafe.uri and "@context" not in item for item in items)
    assert first["next"].startswith(f"{OUTBOX}?before=") and second["partOf"] == OUTBOX

    # And a page read again while the collective publishes is the same page
    async with database.transaction() as session:
        cafe = await session.get(Actor, seeded.repair_cafe.id)
        assert cafe is not None
        await publish_note(session, uris, cafe, "Toute nouvelle")
    assert (await get_json(client, first["next"]))["orderedItems"] == second["orderedItems"]
    assert (await get_json(client, OUTBOX))["totalItems"] == 62


async def test_a_cursor_that_is_no_activity_id_is_refused(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    await seed_neighbourhood(database, settings)
    for cursor in ("abc", "0", "-3"):
        response = await client.get(f"{OUTBOX}?before={cursor}", headers={"Accept": "application/activity+json"})  # fmt: skip
        assert response.status_code == 400
