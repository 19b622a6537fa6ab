"""A remote actor and its key are bound together and to the server that serves them.

The key named by a signature is fetched from its server; the actor document found there is
believed only if its id lives on that server, its key is owned by the actor itself, and it
carries the very key id that signed. Otherwise the POST is refused and nothing is cached: a
hostile server must not rewrite what we know of someone elsewhere (their inbox, their key).
"""

from __future__ import annotations

from pathlib import Path

from storage.models import Actor, InboxItem
from tests.inbox.fediverse import activity, fediverse, note


async def test_an_actor_served_from_another_origin_is_not_believed(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        nadia = mobilizon.add_actor("nadia")
        # Given paquis knows nadia of mobilizon.test (she posted here)
        await world.post_as(nadia, activity("Create", nadia, note(nadia, 1), 1))
        await world.handle()
        known = await world.actor(nadia)
        assert known is not None and known.inbox_uri == f"{nadia}/inbox"
        # And eve's server answers for her key with a document that claims to be nadia,
        # with eve's inbox and eve's key
        eve = mastodon.add_actor("eve")
        impostor = mastodon.documents["/users/eve"]
        assert isinstance(impostor, dict)
        impostor.update(id=nadia, inbox=f"{eve}/inbox")
        impostor["publicKey"] = {**impostor["publicKey"], "owner": nadia}
        # When eve posts a signed activity
        response = await world.post_as(eve, activity("Create", eve, note(eve, 1), 1))
        # Then it is refused, and nadia's copy still has her own inbox and key
        assert response.status_code == 401
        assert "/users/eve" in mastodon.fetched
        after = await world.actor(nadia)
        assert after is not None
        assert (after.inbox_uri, after.public_key_id, after.public_key_pem) == (
            known.inbox_uri,
            known.public_key_id,
            known.public_key_pem,
        )
        assert await world.actor(eve) is None
        assert await world.count(InboxItem) == 1


async def test_an_actor_on_another_origin_is_not_cached_when_resolved(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        # Given mastodon.test serves, at eve's address, an actor whose id is on another server
        eve = mastodon.add_actor("eve")
        elsewhere = "http://elsewhere.test/users/eve"
        document = mastodon.documents["/users/eve"]
        assert isinstance(document, dict)
        document.update(id=elsewhere, publicKey={**document["publicKey"], "owner": elsewhere})
        # When paquis resolves eve (as when someone here follows or mentions her)
        resolved = await world.instance.remote_actors.actor(eve)
        # Then nothing is resolved and nothing is cached under either id
        assert resolved is None
        assert await world.count(Actor, Actor.uri.in_([eve, elsewhere])) == 0


async def test_a_key_owned_by_another_actor_is_refused(tmp_path: Path, database_kind: str) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        # Given eve's document carries her key, but says alice owns it
        eve = mastodon.add_actor("eve")
        document = mastodon.documents["/users/eve"]
        assert isinstance(document, dict)
        document["publicKey"] = {**document["publicKey"], "owner": alice}
        # When eve posts an activity signed with that key
        response = await world.post_as(eve, activity("Create", eve, note(eve, 1), 1))
        # Then it is refused, and neither eve nor her key is cached
        assert response.status_code == 401
        assert await world.actor(eve) is None
        assert await world.instance.remote_actors.key(f"{eve}#main-key") is None
        assert await world.count(InboxItem) == 0


async def test_an_actor_not_carrying_the_signing_key_id_is_refused(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        eve = mastodon.add_actor("eve")
        # When eve signs with her key pair, but under a key id her document does not carry
        response = await world.post_as(
            eve, activity("Create", eve, note(eve, 1), 1), key_id=f"{eve}#second-key"
        )
        # Then it is refused and nothing is cached or stored
        assert response.status_code == 401
        assert await world.actor(eve) is None
        assert await world.count(InboxItem) == 0
        # While the same activity under the key id she carries is taken
        response = await world.post_as(eve, activity("Create", eve, note(eve, 1), 1))
        assert response.status_code == 202
        assert await world.count(InboxItem) == 1
