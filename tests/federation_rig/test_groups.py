"""Collectives across instances: remote members join and leave, post into the collective, and
the collective redistributes their posts to Lemmy-style and Mastodon-style followers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import select
from starlette.types import Receive, Scope, Send

from actors import groups
from commons.posts.services import publish_note
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Activity, Actor, Follow, InboxItem, Membership, Post, utcnow
from storage.models.actors import MEMBERSHIP_ACCEPTED, MEMBERSHIP_PENDING
from storage.models.follows import ACCEPTED
from storage.models.queue import DONE
from tests.federation_rig.rig import Node, Rig, federation_rig
from tests.federation_rig.steps import follow_remote

MASTODON = "mastodon.test"
PAQUIS_JONCTION = ("paquis.test", "jonction.test")
PAQUIS_SERVETTE = ("paquis.test", "servette.test")


class FakeMastodon:
    """Stands for a Mastodon server: accepts every inbox POST and keeps its JSON body."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST":
            self.received.append(json.loads(body))
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def add_mastodon(rig: Rig) -> FakeMastodon:
    fake = FakeMastodon()
    router = rig.client._transport
    router.transports[MASTODON] = httpx2.ASGITransport(app=fake)  # type: ignore[attr-defined]
    return fake


async def mastodon_follower(node: Node, group: Actor) -> None:
    """A Mastodon account already following the collective (its Follow was accepted)."""
    async with node.instance.database.transaction() as session:
        mia = Actor(
            uri=f"http://{MASTODON}/users/mia",
            type="Person",
            username="mia",
            domain=MASTODON,
            inbox_uri=f"http://{MASTODON}/users/mia/inbox",
            shared_inbox_uri=f"http://{MASTODON}/inbox",
            public_key_id=f"http://{MASTODON}/users/mia#main-key",
            public_key_pem="-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
        )
        session.add(mia)
        await session.flush()
        session.add(
            Follow(
                uri=f"http://{MASTODON}/follows/1",
                follower_id=mia.id,
                followed_id=group.id,
                state=ACCEPTED,
                accepted_at=utcnow(),
            )
        )


async def send_join(node: Node, member: Actor, group_uri: str, kind: str = "Join") -> None:
    """A resident of ``node`` sends Join (or Leave) to a remote collective."""
    group = await node.instance.remote_actors.actor(group_uri)
    assert group is not None
    async with node.instance.database.transaction() as session:
        activity = build_activity(node.instance.uris, kind, member, group_uri, [group_uri], [])
        await enqueue_activity(
            session, member, activity, to_followers=False, inboxes=[group.inbox_uri]
        )


async def remote_group(node: Node, uri: str) -> Actor:
    group = await node.instance.remote_actors.actor(uri)
    assert group is not None
    return group


async def membership_on(node: Node, group: Actor, member_uri: str) -> Membership | None:
    async with node.instance.database.session() as session:
        return await session.scalar(
            select(Membership)
            .join(Actor, Actor.id == Membership.member_id)
            .where(Membership.group_id == group.id, Actor.uri == member_uri)
        )


async def activities_of(node: Node, actor: Actor, kind: str) -> list[dict[str, Any]]:
    async with node.instance.database.session() as session:
        payloads = await session.scalars(
            select(Activity.payload).where(Activity.actor_id == actor.id, Activity.type == kind)
        )
        return [json.loads(payload) for payload in payloads]


async def post_on(node: Node, uri: str) -> Post | None:
    async with node.instance.database.session() as session:
        return await session.scalar(select(Post).where(Post.uri == uri))


async def test_member_post_reaches_lemmy_style_and_mastodon_style_followers(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis, jonction, servette = rig["paquis.test"], rig["jonction.test"], rig["servette.test"]
        mastodon = add_mastodon(rig)
        # Given a collective on paquis.test, members-only, with a member from jonction.test,
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        nadia = await jonction.resident("nadia")
        await send_join(jonction, nadia, cafe.uri)
        # a follower on servette.test (our kind, reads Announce{Create}) and one on Mastodon
        leo = await servette.resident("leo")
        await follow_remote(servette, leo, cafe.uri)
        await mastodon_follower(paquis, cafe)
        await rig.drain()
        assert (await membership_on(paquis, cafe, nadia.uri)).state == MEMBERSHIP_ACCEPTED  # type: ignore[union-attr]
        mastodon.received.clear()

        # When Nadia posts to the collective from jonction.test
        async with jonction.instance.database.transaction() as session:
            author = await session.get(Actor, nadia.id)
            assert author is not None
            post = await publish_note(
                session,
                Uris(jonction.settings.base_url),
                author,
                "Qui a une **clé de 13** ?",
                audience=await remote_group(jonction, cafe.uri),
            )
        await rig.drain()

        # Then the collective keeps the post as one of its own
        kept = await post_on(paquis, post.uri)
        assert kept is not None and kept.audience_id == cafe.id
        # and announced it twice: the Create as received, and the plain object id
        announces = await activities_of(paquis, cafe, "Announce")
        objects = [announce["object"] for announce in announces]
        assert {"Create"} == {o["type"] for o in objects if isinstance(o, dict)}
        create = next(o for o in objects if isinstance(o, dict))
        assert create["object"]["id"] == post.uri
        assert create["object"]["audience"] == cafe.uri
        assert post.uri in objects
        assert all(a["audience"] == cafe.uri and PUBLIC in a["to"] for a in announces)
        # both reached Mastodon, and servette.test has the post
        delivered = [body for body in mastodon.received if body["type"] == "Announce"]
        assert sorted(json.dumps(b["object"], sort_keys=True) for b in delivered) == sorted(
            json.dumps(o, sort_keys=True) for o in objects
        )
        seen = await post_on(servette, post.uri)
        assert seen is not None and "<strong>clé de 13</strong>" in seen.content_html
        # and every Announce id answers a GET (Mastodon dereferences what it cannot trust)
        for announce in announces:
            response = await rig.client.get(
                announce["id"], headers={"Accept": "application/activity+json"}
            )
            assert response.status_code == 200 and response.json()["id"] == announce["id"]


async def test_mastodon_mention_of_the_collective_becomes_a_post_in_it(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=PAQUIS_JONCTION) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        nadia = await jonction.resident("nadia")
        await send_join(jonction, nadia, cafe.uri)
        await rig.drain()

        # When a member sends a Mastodon-shaped note that only mentions the collective
        note_uri = f"{jonction.settings.base_url}/users/nadia/statuses/1"
        note = {
            "id": note_uri,
            "type": "Note",
            "attributedTo": nadia.uri,
            "content": '<p><a href="x" class="mention">@repair-cafe</a> atelier samedi ?</p>',
            "to": [PUBLIC],
            "cc": [f"{nadia.uri}/followers", cafe.uri],
            "tag": [{"type": "Mention", "href": cafe.uri, "name": "@repair-cafe@paquis.test"}],
        }
        async with jonction.instance.database.transaction() as session:
            create = build_activity(jonction.instance.uris, "Create", nadia, note, [PUBLIC], [])
            await enqueue_activity(
                session, nadia, create, to_followers=False, inboxes=[cafe.inbox_uri]
            )
        await rig.drain()

        # Then it is a post in the collective, and the collective announces it
        kept = await post_on(paquis, note_uri)
        assert kept is not None and kept.audience_id == cafe.id
        announces = await activities_of(paquis, cafe, "Announce")
        assert note_uri in [a["object"] for a in announces]


async def test_a_non_members_post_is_not_taken_into_a_members_only_collective(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=PAQUIS_SERVETTE) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        leo = await servette.resident("leo")
        await follow_remote(servette, leo, cafe.uri)
        await rig.drain()

        # When a follower who is not a member posts to the members-only collective
        async with servette.instance.database.transaction() as session:
            author = await session.get(Actor, leo.id)
            assert author is not None
            post = await publish_note(
                session,
                Uris(servette.settings.base_url),
                author,
                "Vends vélo",
                audience=await remote_group(servette, cafe.uri),
            )
        await rig.drain()

        # Then the collective neither keeps it as its own nor redistributes it
        kept = await post_on(paquis, post.uri)
        assert kept is None or kept.audience_id is None
        assert await activities_of(paquis, cafe, "Announce") == []


async def test_remote_resident_joins_is_accepted_and_leaves(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=PAQUIS_SERVETTE) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        leo = await servette.resident("leo")

        # When a servette.test resident joins the open collective
        await send_join(servette, leo, cafe.uri)
        await rig.drain()
        # Then he is a member, and the collective answered Accept(Join)
        member = await membership_on(paquis, cafe, leo.uri)
        assert member is not None and member.state == MEMBERSHIP_ACCEPTED
        accepts = await activities_of(paquis, cafe, "Accept")
        assert [a["object"]["type"] for a in accepts] == ["Join"]
        assert accepts[0]["object"]["actor"] == leo.uri and accepts[0]["to"] == [leo.uri]
        # And servette.test received that Accept, signed by the collective, and handled it
        async with servette.instance.database.session() as session:
            received = await session.scalar(
                select(InboxItem).where(InboxItem.activity_uri == accepts[0]["id"])
            )
        assert received is not None, "servette.test never received the Accept(Join)"
        assert received.activity_type == "Accept" and received.actor_uri == cafe.uri
        assert received.state == DONE

        # When he leaves, the membership is gone
        await send_join(servette, leo, cafe.uri, kind="Leave")
        await rig.drain()
        assert await membership_on(paquis, cafe, leo.uri) is None

        # When the collective admits on approval, his Join waits, then is accepted by hand
        async with paquis.instance.database.transaction() as session:
            row = await session.get(Actor, cafe.id)
            assert row is not None
            row.join_mode = "approval"
        await send_join(servette, leo, cafe.uri)
        await rig.drain()
        member = await membership_on(paquis, cafe, leo.uri)
        assert member is not None and member.state == MEMBERSHIP_PENDING
        async with paquis.instance.database.transaction() as session:
            group = await session.get(Actor, cafe.id)
            admin = await session.scalar(select(Actor).where(Actor.username == "jeanmarc"))
            assert group is not None and admin is not None
            await groups.answer_request(
                session, paquis.instance.uris, group, admin, member.member_id, accept=True
            )
        await rig.drain()
        assert (await membership_on(paquis, cafe, leo.uri)).state == MEMBERSHIP_ACCEPTED  # type: ignore[union-attr]
        assert len(await activities_of(paquis, cafe, "Accept")) == 2
