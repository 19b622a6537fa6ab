"""What paquis keeps of a remote actor, and when it reads it again from the actor's server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from storage.models import Actor, InboxItem, utcnow
from tests.inbox.fediverse import Fediverse, activity, fediverse, note


async def age(world: Fediverse, uri: str, days: int) -> None:
    """Make paquis's copy of ``uri`` as old as ``days``."""
    async with world.instance.database.transaction() as session:
        await session.execute(
            update(Actor).where(Actor.uri == uri).values(fetched_at=utcnow() - timedelta(days=days))
        )


async def test_a_copy_is_read_again_only_once_stale(tmp_path: Path, database_kind: str) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice", name="Alice")
        actors = world.instance.remote_actors
        assert (first := await actors.actor(alice)) is not None and first.name == "Alice"
        # When her server changes her name
        mastodon.add_actor("alice", name="Alice B.")
        # Then a copy of the day is kept as it is
        kept = await actors.actor(alice)
        assert kept is not None and kept.name == "Alice"
        assert mastodon.fetched.count("/users/alice") == 1
        # Unless it is asked for afresh
        fresh = await actors.actor(alice, refresh=True)
        assert fresh is not None and fresh.name == "Alice B."
        # When the copy is two days old and her server changed her name again
        mastodon.add_actor("alice", name="Alice C.")
        await age(world, alice, days=2)
        # Then it is read again
        again = await actors.actor(alice)
        assert again is not None and again.name == "Alice C."
        # And when it is stale but her server is down, the old copy stands
        await age(world, alice, days=2)
        world.take_down("mastodon.test")
        stale = await actors.actor(alice)
        assert stale is not None and stale.name == "Alice C."


async def test_a_gone_actor_is_not_read_again(tmp_path: Path, database_kind: str) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        await world.post_as(alice, activity("Delete", alice, alice, 1))
        await world.handle()
        reads = mastodon.fetched.count("/users/alice")
        await age(world, alice, days=30)
        # When a gone actor is resolved
        gone = await world.instance.remote_actors.actor(alice)
        # Then the copy says so, and her server is not asked
        assert gone is not None and gone.is_gone
        assert mastodon.fetched.count("/users/alice") == reads


async def test_what_is_kept_of_an_actor(tmp_path: Path, database_kind: str) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        # Given an actor without preferredUsername or name
        uri = mastodon.add_actor(
            "velo",
            kind="Group",
            url="http://mastodon.test/@velo",
            summary="<p>Atelier</p>",
            following="http://mastodon.test/users/velo/following",
            endpoints={"sharedInbox": "http://mastodon.test/inbox"},
            manuallyApprovesFollowers=True,
            icon={"type": "Image", "url": "http://mastodon.test/velo.png"},
        )
        document = mastodon.documents["/users/velo"]
        assert isinstance(document, dict)
        del document["preferredUsername"], document["name"]
        # When paquis resolves it
        actor = await world.instance.remote_actors.actor(uri)
        # Then every field is kept, the name taken from its address
        assert actor is not None
        assert (actor.type, actor.username, actor.name, actor.domain) == (
            "Group",
            "velo",
            "velo",
            "mastodon.test",
        )
        assert actor.url == "http://mastodon.test/@velo" and actor.summary == "<p>Atelier</p>"
        assert actor.icon_url == "http://mastodon.test/velo.png"
        assert (actor.inbox_uri, actor.shared_inbox_uri) == (
            f"{uri}/inbox",
            "http://mastodon.test/inbox",
        )
        assert (actor.outbox_uri, actor.followers_uri, actor.following_uri) == (
            f"{uri}/outbox",
            f"{uri}/followers",
            "http://mastodon.test/users/velo/following",
        )
        assert actor.manually_approves_followers is True
        assert (
            actor.public_key_id == f"{uri}#main-key" and "BEGIN PUBLIC KEY" in actor.public_key_pem
        )
        assert actor.document is not None and actor.document["id"] == uri
        assert actor.fetched_at is not None and not actor.is_gone and not actor.is_local


async def test_an_actor_without_a_key_is_not_kept(tmp_path: Path, database_kind: str) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        bot = mastodon.add_actor("bot", kind="Service")
        document = mastodon.documents["/users/bot"]
        assert isinstance(document, dict)
        del document["publicKey"]
        assert await world.instance.remote_actors.actor(bot) is None
        assert await world.actor(bot) is None


async def test_a_key_published_as_its_own_document_leads_to_its_owner(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        # Given alice's key has its own address, whose document names her as owner
        alice = mastodon.add_actor("alice")
        key_id = "http://mastodon.test/keys/alice"
        document = mastodon.documents["/users/alice"]
        assert isinstance(document, dict)
        document["publicKey"] = {**document["publicKey"], "id": key_id}
        mastodon.serve({**document["publicKey"], "type": "Key"}, at=key_id)
        # When she posts, signed under that key id
        response = await world.post_as(
            alice, activity("Create", alice, note(alice, 1), 1), key_id=key_id
        )
        # Then the key is read, then its owner, and the activity is taken
        assert response.status_code == 202
        assert mastodon.fetched[:2] == ["/keys/alice", "/users/alice"]
        assert await world.count(InboxItem) == 1
