"""The client-to-server API: residents post raw ActivityPub JSON to their outbox with a bearer
token, and the same services as the web pages apply it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storage.models import Notification, Post, Reaction
from tests.federation_rig.rig import federation_rig
from tests.federation_rig.test_following import follow_state
from tests.outbox.c2s_support import (
    PUBLIC,
    created,
    get_as,
    post_outbox,
    token_for,
)


async def test_note_follow_like_update_delete_through_the_outbox(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(
        tmp_path, database_kind, hosts=("paquis.test", "jonction.test")
    ) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        jeanmarc = await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        nadia = await jonction.resident("nadia")
        token = await token_for(jonction, "nadia")
        cafe_token = await token_for(paquis, "jeanmarc")

        # When she follows the collective through her outbox
        response = await post_outbox(
            rig.client, jonction, "nadia", token, {"type": "Follow", "object": cafe.uri}
        )
        await rig.drain()
        # Then it is accepted
        assert response.status_code == 201
        assert await follow_state(paquis, nadia.uri, cafe.uri) == "accepted"

        # When jeanmarc posts for the collective, through its outbox with his own token, and
        # she likes the post through hers
        news = await created(
            paquis,
            await post_outbox(
                rig.client, paquis, "repair-cafe", cafe_token,
                {"type": "Note", "content": "<p>Atelier samedi</p>", "to": PUBLIC,
                 "cc": cafe.followers_uri},
            ),
        )  # fmt: skip
        assert news.actor_id == cafe.id
        await rig.drain()
        liked = await post_outbox(
            rig.client, jonction, "nadia", token, {"type": "Like", "object": news.uri}
        )
        await rig.drain()
        # Then the like reached paquis.test, and jeanmarc, who runs the collective, was told
        assert liked.status_code == 201
        async with paquis.instance.database.session() as session:
            reaction = await session.scalar(select(Reaction).where(Reaction.post_id == news.id))
            assert reaction is not None and reaction.uri == liked.headers["location"]
            told = (
                await session.execute(
                    select(Notification.kind, Notification.post_id, Notification.group_id).where(
                        Notification.recipient_id == jeanmarc.id
                    )
                )
            ).all()
            assert [tuple(row) for row in told] == [("like", news.id, cafe.id)]
            assert (
                await session.scalar(
                    select(Notification.id).where(Notification.recipient_id == cafe.id)
                )
                is None
            )

        # When she posts a bare Note written in Markdown
        response = await post_outbox(
            rig.client,
            jonction,
            "nadia",
            token,
            {
                "type": "Note",
                "source": {"content": "Qui a une *échelle* ?", "mediaType": "text/markdown"},
                "to": [PUBLIC],
            },
        )
        # Then it was wrapped in a Create, whose id is in Location, and rendered
        post = await created(jonction, response)
        assert "<em>échelle</em>" in post.content_html

        # When she edits it, then reads it back
        response = await post_outbox(
            rig.client,
            jonction,
            "nadia",
            token,
            {"type": "Update", "object": {"id": post.uri, "type": "Note", "content": "Merci !"}},
        )
        assert response.status_code == 201
        served = (await get_as(rig.client, post.uri, token)).json()
        # Then the new text replaced the old one, and the Update carried it
        assert served["content"] == "Merci !" and "updated" in served
        assert "source" not in served
        async with jonction.instance.database.session() as session:
            row = await session.get(Post, post.id)
            assert row is not None and row.content_html == "Merci !" and row.source is None

        # When she deletes it
        response = await post_outbox(
            rig.client, jonction, "nadia", token, {"type": "Delete", "object": post.uri}
        )
        # Then it is a tombstone
        assert response.status_code == 201
        async with jonction.instance.database.session() as session:
            row = await session.get(Post, post.id)
            assert row is not None and row.deleted_at is not None
        assert (await get_as(rig.client, post.uri)).status_code == 410


async def test_actions_through_the_api_tell_people_as_the_web_pages_do(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=("paquis.test",)) as rig:
        paquis = rig["paquis.test"]
        amelie = await paquis.resident("amelie")
        bob = await paquis.resident("bob")
        token = await token_for(paquis, "amelie")
        bob_token = await token_for(paquis, "bob")
        public = await created(
            paquis,
            await post_outbox(
                rig.client,
                paquis,
                "bob",
                bob_token,
                {"type": "Note", "content": "Hi", "to": PUBLIC},
            ),
        )
        private = await created(
            paquis,
            await post_outbox(
                rig.client, paquis, "bob", bob_token,
                {"type": "Note", "content": "Pour toi", "to": [amelie.uri]},
            ),
        )  # fmt: skip

        # When amelie follows bob, likes his post and boosts it through the API
        for activity in (
            {"type": "Follow", "object": bob.uri},
            {"type": "Like", "object": public.uri},
            {"type": "Announce", "object": public.uri},
        ):
            assert (
                await post_outbox(rig.client, paquis, "amelie", token, activity)
            ).status_code == 201
        # Then bob hears of each, as from the web pages (and of the note addressed to amelie,
        # she heard)
        async with paquis.instance.database.session() as session:
            kinds = await session.scalars(
                select(Notification.kind).where(Notification.recipient_id == bob.id)
            )
            assert sorted(kinds) == ["boost", "follow", "like"]
            hers = await session.scalars(
                select(Notification.kind).where(Notification.recipient_id == amelie.id)
            )
            assert list(hers) == ["mention"]

        # When she tries to boost the note only she may read
        refused = await post_outbox(
            rig.client, paquis, "amelie", token, {"type": "Announce", "object": private.uri}
        )
        # Then it is refused, with a reason
        assert refused.status_code == 403 and "public" in refused.json()["error"]

        # When she likes then un-likes it
        liked = await post_outbox(
            rig.client, paquis, "amelie", token, {"type": "Like", "object": private.uri}
        )
        undone = await post_outbox(
            rig.client,
            paquis,
            "amelie",
            token,
            {"type": "Undo", "object": liked.headers["location"]},
        )
        # Then that reaction is gone
        assert undone.status_code == 201
        async with paquis.instance.database.session() as session:
            left = await session.scalars(select(Reaction.uri).where(Reaction.post_id == private.id))
            assert list(left) == []

        # And a post she may not read cannot be liked: it is not there for her
        await paquis.resident("carla")
        carla_token = await token_for(paquis, "carla")
        hidden = await post_outbox(
            rig.client, paquis, "carla", carla_token, {"type": "Like", "object": private.uri}
        )
        assert hidden.status_code == 404


async def test_outbox_refuses_bad_requests(tmp_path: Path, database_kind: str) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=("paquis.test",)) as rig:
        paquis = rig["paquis.test"]
        await paquis.resident("amelie")
        await paquis.resident("karim")
        token = await token_for(paquis, "amelie")
        url = "http://paquis.test/@amelie/outbox"
        note = {"type": "Note", "content": "x"}
        auth = {"Authorization": f"Bearer {token}"}
        # No token, an unknown token, someone else's outbox
        assert (await rig.client.post(url, json=note)).status_code == 401
        assert (await post_outbox(rig.client, paquis, "amelie", "nope", note)).status_code == 401
        forbidden = await post_outbox(rig.client, paquis, "karim", token, note)
        assert forbidden.status_code == 403 and "own outbox" in forbidden.json()["error"]
        # A content type that is not JSON: 415 with a reason
        wrong = await post_outbox(
            rig.client, paquis, "amelie", token, note, content_type="text/plain"
        )
        assert wrong.status_code == 415 and "application/activity+json" in wrong.json()["error"]
        bare = await rig.client.post(url, content=b"{}", headers=auth)
        assert bare.status_code == 415
        # Not JSON, not an object, not a type we take, nothing to say, unknown object
        bad = await rig.client.post(
            url, content=b"{", headers={**auth, "Content-Type": "application/activity+json"}
        )
        assert bad.status_code == 400 and "JSON" in bad.json()["error"]
        assert (await post_outbox(rig.client, paquis, "amelie", token, [1])).status_code == 400
        block = await post_outbox(
            rig.client, paquis, "amelie", token, {"type": "Block", "object": "x"}
        )
        assert block.status_code == 400 and "Block" in block.json()["error"]
        empty = await post_outbox(
            rig.client, paquis, "amelie", token, {"type": "Note", "content": " "}
        )
        assert empty.status_code == 400 and "content" in empty.json()["error"]
        markdown_only = {"content": "x", "mediaType": "text/plain"}
        odd_source = await post_outbox(
            rig.client, paquis, "amelie", token, {"type": "Note", "source": markdown_only}
        )
        assert odd_source.status_code == 400 and "text/markdown" in odd_source.json()["error"]
        gone = await post_outbox(
            rig.client,
            paquis,
            "amelie",
            token,
            {"type": "Delete", "object": "http://paquis.test/posts/x"},
        )
        assert gone.status_code == 404
        # And nothing was published
        async with paquis.instance.database.session() as session:
            assert await session.scalar(select(Post.id)) is None
        # While plain application/json is taken, as Mastodon takes it
        lenient = await post_outbox(
            rig.client, paquis, "amelie", token, note, content_type="application/json"
        )
        assert lenient.status_code == 201
