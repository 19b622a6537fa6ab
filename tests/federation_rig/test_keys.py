"""Key rotation, profile updates and account deletion, between two instances of the rig."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from actors.documents import build_actor
from federation.keys import generate_rsa_keypair
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from outbox.worker import DeliveryWorker
from storage.models import Actor, Follow, InboxItem, Post
from storage.models.follows import ACCEPTED
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote
from tests.federation_rig.test_following import follow_state

HOSTS = ("paquis.test", "jonction.test")


async def rotate_key(node: Node, actor_id: int) -> None:
    """A new pair under the same key id, as Mastodon rotates keys."""
    keys = generate_rsa_keypair()
    async with node.instance.database.transaction() as session:
        actor = await session.get(Actor, actor_id)
        assert actor is not None
        actor.public_key_pem = keys.public_pem
        actor.private_key_pem = keys.private_pem
    assert node.instance.federation is not None
    # A fresh delivery worker, as after a restart: the running one keeps the signers it loaded.
    node.delivery_worker = DeliveryWorker(node.instance.database, node.instance.federation)


async def send_to(
    node: Node, actor_id: int, kind: str, obj: dict[str, Any] | str, inbox: str
) -> None:
    async with node.instance.database.transaction() as session:
        actor = await session.get(Actor, actor_id)
        assert actor is not None
        document = build_activity(
            node.instance.uris,
            kind,
            actor,
            obj,
            [PUBLIC],
            [],
        )
        await enqueue_activity(session, actor, document, to_followers=False, inboxes=[inbox])


async def test_rotated_key_is_refetched_once(tmp_path: Path, database_kind: str) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given a resident of jonction whose key paquis has cached (she follows a collective)
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        fablab = await paquis.collective("fablab", "jeanmarc", kind="project")
        nadia = await jonction.resident("nadia")
        await follow_remote(jonction, nadia, cafe.uri)
        await rig.drain()
        assert await follow_state(paquis, nadia.uri, cafe.uri) == ACCEPTED
        cached = await paquis.instance.remote_actors.key(nadia.public_key_id)
        assert cached is not None and cached.public_key_pem == nadia.public_key_pem

        # When she rotates her key and follows another collective
        fetched_before = rig.gets_of(nadia.public_key_id)
        await rotate_key(jonction, nadia.id)
        await follow_remote(jonction, nadia, fablab.uri)
        await rig.drain()

        # Then paquis refetched her key, verified the Follow and accepted it
        assert await follow_state(paquis, nadia.uri, fablab.uri) == ACCEPTED
        assert await follow_state(jonction, nadia.uri, fablab.uri) == ACCEPTED
        fresh = await paquis.instance.remote_actors.key(nadia.public_key_id)
        async with jonction.instance.database.session() as session:
            rotated = await session.get(Actor, nadia.id)
        assert rotated is not None and fresh is not None
        assert fresh.public_key_pem == rotated.public_key_pem != nadia.public_key_pem
        # And it fetched her key document exactly once for it
        assert rig.gets_of(nadia.public_key_id) - fetched_before == 1


async def test_update_of_actor_refreshes_the_copy(tmp_path: Path, database_kind: str) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given paquis knows a jonction resident
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        nadia = await jonction.resident("nadia")
        await follow_remote(jonction, nadia, cafe.uri)
        await rig.drain()
        copy = await paquis.actor(nadia.uri)
        assert copy is not None and copy.name == "nadia"

        # When she changes her name and sends an Update of herself
        async with jonction.instance.database.transaction() as session:
            actor = await session.get(Actor, nadia.id)
            assert actor is not None
            actor.name = "Nadia B."
            actor.summary = "Couturière aux Pâquis"
            document = build_actor(actor, jonction.settings)
        await send_to(jonction, nadia.id, "Update", document, paquis.instance.uris.shared_inbox())
        await rig.drain()

        # Then paquis's copy carries the new name
        copy = await paquis.actor(nadia.uri)
        assert copy is not None and copy.name == "Nadia B."
        assert "Couturière" in copy.summary

        # When someone else sends an Update of her profile
        omar = await jonction.resident("omar")
        forged = {**document, "name": "Usurpée"}
        await send_to(jonction, omar.id, "Update", forged, paquis.instance.uris.shared_inbox())
        await rig.drain()

        # Then it is ignored
        copy = await paquis.actor(nadia.uri)
        assert copy is not None and copy.name == "Nadia B."


async def test_delete_of_actor_removes_posts_and_follows(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given a jonction resident who follows a paquis collective and posted into it
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        nadia = await jonction.resident("nadia")
        await follow_remote(jonction, nadia, cafe.uri)
        await rig.drain()
        note = {
            "id": f"{nadia.uri}/notes/1",
            "type": "Note",
            "attributedTo": nadia.uri,
            "content": "<p>Qui répare une machine à coudre ?</p>",
            "to": [PUBLIC, cafe.uri],
        }
        await send_to(jonction, nadia.id, "Create", note, paquis.instance.uris.shared_inbox())
        await rig.drain()
        copy = await paquis.actor(nadia.uri)
        assert copy is not None
        assert await rows(paquis, Post, Post.actor_id == copy.id) == 1
        assert await rows(paquis, Follow, Follow.follower_id == copy.id) == 1

        # When her account is deleted and a Delete of herself is sent
        await send_to(jonction, nadia.id, "Delete", nadia.uri, paquis.instance.uris.shared_inbox())
        await rig.drain()

        # Then paquis dropped her posts and follows and marks her gone
        assert await rows(paquis, Post, Post.actor_id == copy.id) == 0
        assert await rows(paquis, Follow, Follow.follower_id == copy.id) == 0
        gone = await paquis.actor(nadia.uri)
        assert gone is not None and gone.is_gone

        # And nothing she sends afterwards is taken
        await send_to(jonction, nadia.id, "Follow", cafe.uri, paquis.instance.uris.shared_inbox())
        await rig.drain()
        assert await rows(paquis, Follow, Follow.follower_id == copy.id) == 0
        assert await rows(paquis, InboxItem, InboxItem.activity_type == "Follow") == 1


async def rows(node: Node, model: type[object], *where: object) -> int:
    async with node.instance.database.session() as session:
        statement = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return await session.scalar(statement) or 0
