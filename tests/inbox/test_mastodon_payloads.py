"""Captured Mastodon payloads, applied through the real dispatcher, do what they should.

The local actors and posts they point at are created under the very URIs the payloads name.
One change to a fixture is needed (see ``undo_like``): Mastodon's captured Undo(Like) undoes
``#likes/212341`` while the captured Like is ``#likes/212340``, so the Undo is pointed at the
Like we applied. Nothing else is rewritten.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from commons.markdown import sanitize_html
from federation.keys import generate_rsa_keypair
from federation.parsing import parse_activity, parse_document
from inbox.context import InboxContext
from inbox.dispatch import dispatch
from instance.runtime import Instance
from storage.database import Database
from storage.models import Activity, Actor, Delivery, Follow, Post, Reaction
from storage.models.follows import ACCEPTED
from tests.support import SHARED, make_settings

ACTIVITIES = SHARED / "fixtures" / "activitypub" / "mastodon" / "activities"

pytestmark = pytest.mark.skipif(
    not ACTIVITIES.is_dir(), reason=f"shared fixtures absent: {ACTIVITIES} does not exist"
)


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ACTIVITIES / name).read_text())
    return data


def instance_on(database: Database) -> Instance:
    return Instance(settings=make_settings("paquis.test"), database=database, federation=None)


async def add_actor(database: Database, uri: str, *, is_local: bool, kind: str = "Person") -> Actor:
    """An actor row under ``uri``: local (with a key to sign) or a cached remote."""
    parts = urlsplit(uri)
    keys = generate_rsa_keypair() if is_local else None
    async with database.transaction() as session:
        actor = Actor(
            uri=uri,
            type=kind,
            username=parts.path.rstrip("/").rsplit("/", 1)[-1],
            domain=parts.netloc,
            is_local=is_local,
            name="",
            inbox_uri=f"{uri}/inbox",
            shared_inbox_uri=f"{parts.scheme}://{parts.netloc}/inbox",
            followers_uri=f"{uri}/followers",
            public_key_id=f"{uri}#main-key",
            public_key_pem=keys.public_pem if keys else "-----BEGIN PUBLIC KEY-----",
            private_key_pem=keys.private_pem if keys else None,
        )
        session.add(actor)
    return actor


async def add_post(database: Database, uri: str, author: Actor) -> Post:
    async with database.transaction() as session:
        post = Post(
            uri=uri, actor_id=author.id, is_local=author.is_local, content_html="<p>avant</p>"
        )
        session.add(post)
    return post


async def apply(instance: Instance, document: dict[str, Any], sender: Actor) -> None:
    await dispatch(InboxContext(instance, parse_activity(document), sender, None))


async def count(database: Database, model: type[Any]) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_follow_then_undo_follow(database: Database) -> None:
    follow, undo = payload("follow.json"), payload("undo_follow.json")
    instance = instance_on(database)
    # Given the local collective the Follow names, and its remote sender
    group = await add_actor(database, follow["object"], is_local=True, kind="Group")
    sender = await add_actor(database, follow["actor"], is_local=False)

    # When the Follow is applied
    await apply(instance, follow, sender)

    # Then the follow is accepted and an Accept is queued to the sender's inbox
    async with database.session() as session:
        row = await session.scalar(select(Follow))
        assert row is not None
        assert (row.uri, row.follower_id, row.followed_id, row.state) == (
            follow["id"],
            sender.id,
            group.id,
            ACCEPTED,
        )
        accept = await session.scalar(select(Activity).where(Activity.type == "Accept"))
        assert accept is not None and accept.object_uri == follow["id"]
        deliveries = (await session.scalars(select(Delivery))).all()
        assert [(d.activity_id, d.inbox_uri) for d in deliveries] == [(accept.id, sender.inbox_uri)]

    # When the Undo(Follow) is applied
    await apply(instance, undo, sender)

    # Then the follow is gone
    assert await count(database, Follow) == 0


async def test_create_note_stores_a_sanitized_post(database: Database) -> None:
    create = payload("create_note.json")
    instance = instance_on(database)
    # Given its sender
    sender = await add_actor(database, create["actor"], is_local=False)

    # When the Create(Note) is applied
    await apply(instance, create, sender)

    # Then the post is stored, its HTML sanitized, its reply and visibility kept
    note = create["object"]
    async with database.session() as session:
        post = await session.scalar(select(Post).where(Post.uri == note["id"]))
    assert post is not None and post.actor_id == sender.id and not post.is_local
    assert post.content_html == sanitize_html(note["content"])
    assert "thinkpad" in post.content_html
    assert post.in_reply_to_uri == note["inReplyTo"]
    assert post.url == note["url"]
    assert post.visibility == "public"


async def test_create_note_with_hostile_html_is_sanitized(database: Database) -> None:
    # Given the captured Create(Note), with a script and handlers added to its content (a copy)
    create = copy.deepcopy(payload("create_note.json"))
    create["object"]["content"] = (
        '<p onclick="steal()">Salut<script>alert(1)</script>'
        '<a href="javascript:alert(2)">lien</a><img src=x onerror=alert(3)></p>'
    )
    instance = instance_on(database)
    sender = await add_actor(database, create["actor"], is_local=False)

    # When it is applied
    await apply(instance, create, sender)

    # Then nothing executable is stored
    async with database.session() as session:
        post = await session.scalar(select(Post))
    assert post is not None and "Salut" in post.content_html
    for dangerous in ("<script", "onclick", "onerror", "javascript:"):
        assert dangerous not in post.content_html


async def test_like_then_undo_like(database: Database) -> None:
    like, undo = payload("like_page.json"), payload("undo_like_page.json")
    # The captured Undo names another Like than the captured one: point it at ours.
    undo["object"]["id"] = like["id"]
    instance = instance_on(database)
    # Given the local post the Like names (by a local collective) and the sender
    author = await add_actor(
        database, "https://ds9.lemmy.ml/c/testcom", is_local=True, kind="Group"
    )
    post = await add_post(database, like["object"], author)
    sender = await add_actor(database, like["actor"], is_local=False)

    # When the Like is applied
    await apply(instance, like, sender)

    # Then the post has one like by the sender
    async with database.session() as session:
        reactions = (await session.scalars(select(Reaction))).all()
    assert [(r.uri, r.kind, r.actor_id, r.post_id) for r in reactions] == [
        (like["id"], "like", sender.id, post.id)
    ]

    # When the same Like arrives again, and a second Like of the same post with another id
    await apply(instance, like, sender)
    again = {**like, "id": like["id"] + "-bis"}
    await apply(instance, again, sender)

    # Then there is still one like
    assert await count(database, Reaction) == 1

    # When the Undo(Like) is applied
    await apply(instance, undo, sender)

    # Then the like is gone
    assert await count(database, Reaction) == 0


async def test_delete_tombstones_the_post(database: Database) -> None:
    delete = payload("delete.json")
    instance = instance_on(database)
    # Given the sender and the post of theirs the Delete names
    sender = await add_actor(database, delete["actor"], is_local=False)
    post = await add_post(database, delete["object"]["id"], sender)

    # When the Delete is applied
    await apply(instance, delete, sender)

    # Then the post is a tombstone: kept, dated, emptied
    async with database.session() as session:
        row = await session.get(Post, post.id)
    assert row is not None and row.deleted_at is not None
    assert row.content_html == "" and row.document is None


async def test_delete_by_someone_else_changes_nothing(database: Database) -> None:
    delete = payload("delete.json")
    instance = instance_on(database)
    # Given the post, and another actor sending the Delete
    author = await add_actor(database, delete["actor"], is_local=False)
    post = await add_post(database, delete["object"]["id"], author)
    intruder = await add_actor(database, "https://mastodon.madrid/users/mallory", is_local=False)

    # When the intruder's Delete is applied
    await apply(instance, {**delete, "actor": intruder.uri}, intruder)

    # Then the post is untouched
    async with database.session() as session:
        row = await session.get(Post, post.id)
    assert row is not None and row.deleted_at is None and row.content_html == "<p>avant</p>"


def test_every_captured_mastodon_payload_parses() -> None:
    for path in sorted(Path(ACTIVITIES).glob("*.json")):
        assert parse_document(payload(path.name)).id, path.name
