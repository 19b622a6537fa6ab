"""Remote actors at their edges: the keys kept in memory, copies never fetched, long names."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

import actors.remote
from actors.remote import KEY_CACHE_SIZE, REFRESH_AFTER, HandleNotResolved
from config.errors import ErrorCode
from storage.blocks import block_domain
from storage.models import Actor, InboxItem, utcnow
from tests.inbox.fediverse import RemoteServer, activity, fediverse, note
from tests.inbox.signing import fixed_key
from tests.support import POSTGRES_URL_ENV, SETTLE_TIMEOUT, postgres_url


async def test_a_refreshed_actor_replaces_the_key_kept_in_memory(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        actors = world.instance.remote_actors
        key_id = f"{alice}#main-key"
        # Given alice's key is known and kept in memory
        before = await actors.key(key_id)
        assert before is not None and before.actor_uri == alice
        # And her server now publishes another key under the same id
        rotated = fixed_key("mastodon.test/alice/rotated")
        document = mastodon.documents["/users/alice"]
        assert isinstance(document, dict)
        document["publicKey"] = {**document["publicKey"], "publicKeyPem": rotated.public_pem}

        # When her actor is read afresh (as a profile refresh does)
        await actors.actor(alice, refresh=True)
        reads = mastodon.fetched.count("/users/alice")

        # Then the key asked next is the new one, read from the database, not fetched
        after = await actors.key(key_id)
        assert after is not None and after.public_key_pem == rotated.public_pem
        assert mastodon.fetched.count("/users/alice") == reads


async def test_the_keys_kept_in_memory_are_bounded_and_the_least_used_go_first(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path) as world:
        actors = world.instance.remote_actors
        mastodon = world["mastodon.test"]
        alice, bob = mastodon.add_actor("alice"), mastodon.add_actor("bob")
        # Given alice's then bob's keys are kept, and alice's is used again
        await actors.key(f"{alice}#main-key")
        await actors.key(f"{bob}#main-key")
        await actors.key(f"{alice}#main-key")
        # When as many other keys as the memory holds, less one, are kept after them
        for number in range(KEY_CACHE_SIZE - 1):
            actors._remember(
                Actor(
                    id=10_000 + number,
                    uri=f"http://relay.test/users/{number}",
                    public_key_id=f"http://relay.test/users/{number}#key",
                    public_key_pem="PEM",
                    is_gone=False,
                )
            )
        # Then bob's key, the least recently used, left memory and alice's stayed
        assert len(actors._keys) == KEY_CACHE_SIZE
        assert f"{bob}#main-key" not in actors._keys
        assert f"{alice}#main-key" in actors._keys


async def test_a_copy_that_was_never_fetched_is_fetched(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice", name="Alice")
        actors = world.instance.remote_actors
        await actors.actor(alice)
        # Given paquis's copy of alice has no fetch date (as after an import)
        async with world.instance.database.transaction() as session:
            await session.execute(update(Actor).where(Actor.uri == alice).values(fetched_at=None))
        mastodon.add_actor("alice", name="Alice B.")

        # When she is resolved
        actor = await actors.actor(alice)

        # Then she is read again from her server
        assert actor is not None and actor.name == "Alice B."
        assert mastodon.fetched.count("/users/alice") == 2


@pytest.mark.parametrize("address", ["inbox", "followers", "endpoints"])
async def test_an_actor_whose_own_address_is_too_long_to_keep_is_not_believed(
    tmp_path: Path, database_kind: str, address: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        # Given an actor whose inbox, followers or shared inbox is 2,049 characters long
        alice = mastodon.url("/users/alice")
        long = f"{alice}/" + "x" * (2048 - len(alice))
        value = {"sharedInbox": long} if address == "endpoints" else long
        mastodon.add_actor("alice", **{address: value})
        # When alice posts
        response = await world.post_as(alice, activity("Create", alice, note(alice, 1), 1))
        # Then her key cannot be had, as for an actor that cannot be read; nothing is kept
        assert response.status_code == 401
        assert response.json()["error"] == f"cannot get key {alice}#main-key"
        assert await world.actor(alice) is None
        assert await world.count(InboxItem) == 0


async def test_a_profile_link_or_picture_too_long_to_keep_is_left_out(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        long = mastodon.url("/") + "p" * 2048
        # Given an actor whose profile link and picture are over 2,048 characters long
        alice = mastodon.add_actor("alice", url=long, icon={"type": "Image", "url": long})
        # When alice posts
        response = await world.post_as(alice, activity("Create", alice, note(alice, 1), 1))
        # Then her post is taken, and she is kept without them
        assert response.status_code == 202, response.text
        actor = await world.actor(alice)
        assert actor is not None
        assert (actor.url, actor.icon_url) == (None, None)


async def test_long_names_are_cut_to_what_the_columns_hold(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        mastodon = world["mastodon.test"]
        # Given an actor with a 300-character username and name
        alice = mastodon.add_actor("alice", preferredUsername="u" * 300, name="N" * 300)

        # When it is resolved
        actor = await world.instance.remote_actors.actor(alice)

        # Then both are kept cut to 255 characters
        assert actor is not None
        assert (actor.username, actor.name) == ("u" * 255, "N" * 255)


async def test_a_local_actor_is_never_fetched(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        actors = world.instance.remote_actors
        # Given the instance actor of paquis
        signer = await actors.signer()
        uri = signer.key_id.split("#")[0]

        # When it is resolved, even afresh
        actor = await actors.actor(uri, refresh=True)

        # Then the local copy is answered
        assert actor is not None and actor.is_local
        assert await actors.signer() is signer


def finger(server: RemoteServer, username: str, actor_uri: str) -> None:
    """Serve the WebFinger answer of ``username`` on ``server``, pointing at ``actor_uri``."""
    server.serve(
        {
            "subject": f"acct:{username}@{server.host}",
            "links": [{"rel": "self", "type": "application/activity+json", "href": actor_uri}],
        },
        at=server.url("/.well-known/webfinger"),
    )


async def test_a_handle_is_resolved_once_and_kept(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        # Given alice, whose server answers WebFinger for her handle
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        finger(mastodon, "alice", alice)
        # When her handle is looked up
        found = await world.instance.remote_actors.by_handle("alice", "mastodon.test")
        # Then she is found, asked by her handle, and kept
        assert found.uri == alice and not found.is_local
        assert "/.well-known/webfinger" in mastodon.fetched
        assert await world.actor(alice) is not None
        # And her server was asked in the scheme of ours (http here; https in production)
        assert world.instance.settings.server.scheme == "http"
        assert set(mastodon.schemes) == {"http"}


@pytest.mark.parametrize("case", ["blocked", "blocked with a port", "no client", "unknown"])
async def test_a_handle_that_gives_no_actor_says_why(tmp_path: Path, case: str) -> None:
    async with fediverse(tmp_path) as world:
        mastodon = world["mastodon.test"]
        mastodon.add_actor("alice")
        actors = world.instance.remote_actors
        host = "mastodon.test:8443" if case == "blocked with a port" else "mastodon.test"
        if case.startswith("blocked"):
            async with world.instance.database.transaction() as session:
                await block_domain(session, "mastodon.test", "spam")
            world.instance.blocks.invalidate()
        if case == "no client":
            actors.client = None
        # When alice's handle is looked up (her server answers no WebFinger)
        with pytest.raises(HandleNotResolved) as refused:
            await actors.by_handle("alice", host)
        # Then the reason is one word the callers explain, and no actor is kept
        reason = {"unknown": "not_found", "no client": "unreachable"}.get(case, "blocked")
        assert refused.value.reason == reason
        assert refused.value.code == ErrorCode(reason) and refused.value.field == "handle"
        assert mastodon.fetched == ([] if case != "unknown" else ["/.well-known/webfinger"])
        assert await world.count(Actor, Actor.is_local.is_(False)) == 0


async def test_a_handle_on_a_server_that_answers_signed_requests_only_is_resolved(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path) as world:
        # Given alice on a server in secure mode: it answers only signed requests
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        finger(mastodon, "alice", alice)
        mastodon.signed_only = True
        # When her handle is looked up, she is found: every request was signed
        found = await world.instance.remote_actors.by_handle("alice", "mastodon.test")
        assert found.uri == alice


@pytest.mark.skipif(
    postgres_url() is None,
    reason=f"needs PostgreSQL (two write transactions open at once): set {POSTGRES_URL_ENV}",
)
async def test_a_handle_resolved_twice_at_once_gives_both_the_one_actor_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fediverse(tmp_path, "postgresql") as world:
        # Given alice, whose server answers WebFinger for her handle
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        finger(mastodon, "alice", alice)
        # And two lookups that both open their transaction before either stores her (as two
        # requests arriving together do; SQLite's writers queue, PostgreSQL's run side by side)
        both_inside = asyncio.Barrier(2)
        store = actors.remote.store_remote_actor

        async def store_when_both_are_inside(session: AsyncSession, parsed: Any) -> Actor:
            await session.connection()
            await both_inside.wait()
            return await store(session, parsed)

        monkeypatch.setattr(actors.remote, "store_remote_actor", store_when_both_are_inside)

        # When her handle is looked up twice at once
        lookups = world.instance.remote_actors
        first, second = await asyncio.wait_for(
            asyncio.gather(
                lookups.by_handle("alice", "mastodon.test"),
                lookups.by_handle("alice", "mastodon.test"),
            ),
            timeout=SETTLE_TIMEOUT,
        )

        # Then the lookup whose insert lost gets the actor the other stored, and one is kept
        assert first.uri == second.uri == alice
        assert first.id == second.id
        assert await world.count(Actor, Actor.uri == alice) == 1


async def test_a_batch_reads_ours_the_gone_and_those_fetched_within_a_day_without_a_fetch(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path) as world:
        # Given four of mastodon.test's actors kept here, fetched at different times, one gone
        mastodon = world["mastodon.test"]
        names = ("recent", "a_day_ago", "older", "gone")
        remote = {name: mastodon.add_actor(name) for name in names}
        lookups = world.instance.remote_actors
        for uri in remote.values():
            assert await lookups.actor(uri) is not None
        now = utcnow().replace(microsecond=0)
        fetched = {
            "recent": now - timedelta(hours=1),
            "a_day_ago": now - REFRESH_AFTER,
            "older": now - REFRESH_AFTER - timedelta(seconds=1),
            "gone": now - timedelta(days=30),
        }
        async with world.instance.database.transaction() as session:
            for name, at in fetched.items():
                await session.execute(
                    update(Actor)
                    .where(Actor.uri == remote[name])
                    .values(fetched_at=at, is_gone=name == "gone")
                )
            ours = await session.scalar(select(Actor.uri).where(Actor.is_local.is_(True)))
        assert ours is not None
        asked = len(mastodon.fetched)
        # When a batch asks for them, our own actor and one nobody knows, at that moment
        with time_machine.travel(now, tick=False):
            found = await lookups.stored_actors(
                [ours, *remote.values(), mastodon.url("/users/nobody")]
            )
        # Then ours, the gone one and those fetched a day ago at most are read as kept; the
        # older one is left to be fetched again, and nothing was fetched meanwhile
        assert set(found) == {ours, remote["recent"], remote["a_day_ago"], remote["gone"]}
        assert len(mastodon.fetched) == asked
