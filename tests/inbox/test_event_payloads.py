"""Events from Mobilizon and Gancio through the inbox dispatcher: kept with the right time, zone
and place; refused cleanly when unusable; replies to our events become comments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from actors.services import create_account, create_group
from commons.events import services as events
from config.settings import Settings
from config.uris import Uris
from federation.parsing import parse_activity
from inbox.context import InboxContext
from inbox.dispatch import dispatch
from instance.runtime import Instance
from storage.database import Database
from storage.models import Actor, Event, Post, utcnow
from tests.support import SHARED

FIXTURES = SHARED / "fixtures" / "activitypub"


def fixture(path: str) -> dict[str, Any]:
    if not FIXTURES.exists():
        pytest.skip(f"shared fixtures absent: {FIXTURES}")
    data: dict[str, Any] = json.loads((FIXTURES / path).read_text())
    return data


async def remote_actor(database: Database, uri: str, kind: str = "Person") -> Actor:
    async with database.transaction() as session:
        found = await session.scalar(select(Actor).where(Actor.uri == uri))
        if found is not None:
            return found
        actor = Actor(
            uri=uri, type=kind, username=uri.rstrip("/").rsplit("/", 1)[-1].lstrip("@"),
            domain=urlsplit(uri).netloc, is_local=False, inbox_uri=f"{uri}/inbox",
            public_key_id=f"{uri}#main-key", public_key_pem="unused", fetched_at=utcnow(),
        )  # fmt: skip
        session.add(actor)
        await session.flush()
        return actor


async def deliver(
    database: Database, settings: Settings, activity: dict[str, Any], *others: str
) -> None:
    """Apply ``activity`` as the inbox worker would, its sender (and ``others``) already known."""
    parsed = parse_activity(activity)
    sender = await remote_actor(database, parsed.actor_uri)
    for uri in others:
        await remote_actor(database, uri, "Group")
    instance = Instance(settings=settings, database=database)
    await dispatch(InboxContext(instance, parsed, sender, None))


async def stored(database: Database, uri: str) -> Event | None:
    async with database.session() as session:
        return await session.scalar(select(Event).where(Event.uri == uri))


def wrap(obj: dict[str, Any], actor: str) -> dict[str, Any]:
    return {"id": f"{obj['id']}#create", "type": "Create", "actor": actor, "object": obj}


async def test_mobilizon_event_object(database: Database, settings: Settings) -> None:
    obj = fixture("mobilizon/objects/event.json")
    group = "https://rendezvous.nomagic.uk/@devon_caledonian_society"
    await deliver(database, settings, wrap(obj, obj["actor"]), group)
    event = await stored(database, obj["id"])
    assert event is not None and not event.is_local
    assert event.start_time == datetime(2022, 12, 11, 19, 0, tzinfo=UTC)
    assert event.timezone == "Europe/London"
    assert (event.place_name, event.street_address, event.postal_code, event.locality) == (
        "The Kenn Centre", "Devon Expressway", "EX6 7TW", "Teignbridge")  # fmt: skip
    assert event.latitude == pytest.approx(50.66881615)
    assert event.title == "Caledonian scottish dance class"
    async with database.session() as session:
        organiser = await session.get(Actor, event.actor_id)
    assert organiser is not None and organiser.uri == group
    assert 'rel="nofollow noopener noreferrer"' in event.description_html


@pytest.mark.parametrize(
    "name",
    ["mobilizon-post-activity.json", "mobilizon-post-activity-media.json",
     "mobilizon-post-activity-media-1.json", "mobilizon-post-activity-media-2.json"],
)  # fmt: skip
async def test_mobilizon_create_event(database: Database, settings: Settings, name: str) -> None:
    activity = fixture(f"mobilizon-tests/{name}")
    await deliver(database, settings, activity)
    event = await stored(
        database, "https://mobilizon.fr/events/39a0c4a6-f2b6-41dc-bbe2-fc5bff76cc93"
    )
    assert event is not None
    assert event.start_time == datetime(2018, 2, 12, 14, 8, 20, tzinfo=UTC)
    assert event.timezone == "UTC"  # no zone given, and Zurich was UTC+1 that day
    assert (event.place_name, event.street_address, event.postal_code, event.locality) == (
        "Locaux de Framasoft", "10 Rue Jangot", "69007", "Lyon")  # fmt: skip
    assert event.country == "France" and event.latitude is None
    assert event.category == "autre"  # "TODO remove me" is no category we know
    if name == "mobilizon-post-activity-media-1.json":
        assert event.image_url == "https://mobilizon.fr/some-image-1"


async def test_mobilizon_group_event_sent_by_a_member(
    database: Database, settings: Settings
) -> None:
    activity = fixture("mobilizon-tests/mobilizon-post-activity-group.json")
    await deliver(database, settings, activity, "http://mobilizon1.com/@group")
    event = await stored(
        database, "http://mobilizon1.com/events/f270ae07-7991-453c-9bb7-3d2122ededae"
    )
    assert event is not None and event.title == "My first event"
    assert event.start_time == datetime(2018, 2, 12, 14, 8, 20, tzinfo=UTC)
    assert event.place_name is None and event.online_url is None
    async with database.session() as session:
        organiser = await session.get(Actor, event.actor_id)
    assert organiser is not None and organiser.uri == "http://mobilizon1.com/@group"


async def test_gancio_event(database: Database, settings: Settings) -> None:
    await deliver(database, settings, fixture("mobilizon-tests/gancio-event-activity.json"))
    event = await stored(database, "https://demo.gancio.org/federation/m/1")
    assert event is not None and event.title == "Demo event"
    assert event.start_time == datetime(2021, 7, 14, 15, 30, 57, tzinfo=UTC)
    assert event.end_time == datetime(2021, 7, 14, 16, 30, 57, tzinfo=UTC)
    assert event.timezone == "Europe/Zurich"  # +02:00 in July: Geneva's offset
    assert (
        event.place_name == "Colosseo" and event.url == "https://demo.gancio.org/event/demo-event"
    )


async def test_an_event_without_time_is_not_stored(database: Database, settings: Settings) -> None:
    activity = fixture("mobilizon-tests/gancio-event-activity.json")
    del activity["object"]["startTime"]
    await deliver(database, settings, activity)  # no exception: the item is simply dropped
    assert await stored(database, "https://demo.gancio.org/federation/m/1") is None


async def test_a_malformed_location_is_left_out(database: Database, settings: Settings) -> None:
    activity = fixture("mobilizon-tests/gancio-event-activity.json")
    activity["object"]["location"] = [17, ["not", "a", "place"]]
    await deliver(database, settings, activity)
    event = await stored(database, "https://demo.gancio.org/federation/m/1")
    assert event is not None and event.place_name is None
    assert event.start_time == datetime(2021, 7, 14, 15, 30, 57, tzinfo=UTC)


async def test_an_event_from_another_server_is_refused(
    database: Database, settings: Settings
) -> None:
    activity = fixture("mobilizon-tests/gancio-event-activity.json")
    activity["actor"] = "https://evil.example/u/mallory"
    await deliver(database, settings, activity)
    assert await stored(database, "https://demo.gancio.org/federation/m/1") is None


async def test_update_and_delete_of_a_remote_event(database: Database, settings: Settings) -> None:
    activity = fixture("mobilizon-tests/gancio-event-activity.json")
    await deliver(database, settings, activity)
    changed = {**activity["object"], "name": "Demo event (moved)",
               "startTime": "2021-07-15T17:30:57+02:00"}  # fmt: skip
    update = {"id": "https://demo.gancio.org/federation/m/1#update", "type": "Update",
              "actor": activity["actor"], "object": changed}  # fmt: skip
    await deliver(database, settings, update)
    event = await stored(database, "https://demo.gancio.org/federation/m/1")
    assert event is not None and event.title == "Demo event (moved)"
    assert event.start_time == datetime(2021, 7, 15, 15, 30, 57, tzinfo=UTC)
    delete = {"id": "https://demo.gancio.org/federation/m/1#delete", "type": "Delete",
              "actor": activity["actor"], "object": "https://demo.gancio.org/federation/m/1"}  # fmt: skip
    await deliver(database, settings, delete)
    event = await stored(database, "https://demo.gancio.org/federation/m/1")
    assert event is not None and event.deleted_at is not None


async def our_event(database: Database, settings: Settings, *, comments: bool) -> Event:
    async with database.transaction() as session:
        await create_account(session, settings, "jeanmarc", "password123")
        cafe = await create_group(session, settings, "repair-cafe", "space", "jeanmarc")
        author = await session.scalar(select(Actor).where(Actor.username == "jeanmarc"))
        assert author is not None
        return await events.create_event(
            session, Uris(settings.base_url), author, cafe,
            events.EventFields(title="Repair Café", start=datetime(2026, 12, 5, 9, tzinfo=UTC),
                               place_name="Maison de quartier", comments_enabled=comments),
        )  # fmt: skip


def mastodon_reply(event: Event, number: int = 1) -> dict[str, Any]:
    note = {
        "id": f"https://mastodon.example/users/ana/statuses/{number}", "type": "Note",
        "attributedTo": "https://mastodon.example/users/ana", "inReplyTo": event.uri,
        "content": "<p>Je viens avec ma lampe !<script>x()</script></p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://paquis.test/@repair-cafe"],
        "tag": [{"type": "Mention", "href": "https://paquis.test/@repair-cafe"}],
    }  # fmt: skip
    return {"id": f"{note['id']}/activity", "type": "Create",
            "actor": "https://mastodon.example/users/ana", "object": note}  # fmt: skip


async def test_a_mastodon_reply_becomes_a_comment(database: Database, settings: Settings) -> None:
    event = await our_event(database, settings, comments=True)
    await deliver(database, settings, mastodon_reply(event))
    async with database.session() as session:
        comment = await session.scalar(select(Post).where(Post.in_reply_to_uri == event.uri))
    assert comment is not None and comment.audience_id is None
    assert "lampe" in comment.content_html and "<script>" not in comment.content_html


async def test_a_reply_is_refused_when_comments_are_closed(
    database: Database, settings: Settings
) -> None:
    event = await our_event(database, settings, comments=False)
    await deliver(database, settings, mastodon_reply(event))
    async with database.session() as session:
        comment = await session.scalar(select(Post).where(Post.in_reply_to_uri == event.uri))
    assert comment is None
