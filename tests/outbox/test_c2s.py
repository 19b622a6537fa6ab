"""The client-to-server API: residents post to their outbox with a bearer token."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
from sqlalchemy import select

from actors.services import create_api_token
from storage.models import Activity, Post, Reaction
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.test_following import follow_state

AP = {"Content-Type": "application/activity+json"}


async def token_for(node: Node, username: str) -> str:
    async with node.instance.database.transaction() as session:
        return await create_api_token(session, username)


async def post_outbox(
    rig_client: httpx2.AsyncClient, node: Node, username: str, token: str, document: object
) -> httpx2.Response:
    return await rig_client.post(
        f"{node.settings.base_url}/@{username}/outbox",
        content=json.dumps(document),
        headers={**AP, "Authorization": f"Bearer {token}"},
    )


async def test_note_follow_like_update_delete_through_the_outbox(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(
        tmp_path, database_kind, hosts=("paquis.test", "jonction.test")
    ) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        await jonction.resident("nadia")
        token = await token_for(jonction, "nadia")

        # When she follows the collective through her outbox
        response = await post_outbox(
            rig.client, jonction, "nadia", token, {"type": "Follow", "object": cafe.uri}
        )
        await rig.drain()
        # Then it is accepted
        assert response.status_code == 201
        assert await follow_state(paquis, "http://jonction.test/@nadia", cafe.uri) == "accepted"

        # When she posts a bare Note
        response = await post_outbox(
            rig.client,
            jonction,
            "nadia",
            token,
            {"type": "Note", "content": "Qui a une *échelle* ?"},
        )
        # Then it was wrapped in a Create, whose id is in Location
        assert response.status_code == 201
        location = response.headers["location"]
        async with jonction.instance.database.session() as session:
            activity = await session.scalar(select(Activity).where(Activity.uri == location))
            assert activity is not None and activity.type == "Create"
            post = await session.scalar(select(Post).where(Post.uri == activity.object_uri))
            assert post is not None and "<em>échelle</em>" in post.content_html

        # When she edits then deletes it
        response = await post_outbox(
            rig.client,
            jonction,
            "nadia",
            token,
            {"type": "Update", "object": {"id": post.uri, "type": "Note", "content": "Merci !"}},
        )
        assert response.status_code == 201
        response = await post_outbox(
            rig.client, jonction, "nadia", token, {"type": "Delete", "object": post.uri}
        )
        assert response.status_code == 201
        async with jonction.instance.database.session() as session:
            row = await session.get(Post, post.id)
            assert row is not None and row.deleted_at is not None


async def test_like_and_undo_of_a_local_post(tmp_path: Path) -> None:
    async with federation_rig(tmp_path, hosts=("paquis.test",)) as rig:
        paquis = rig["paquis.test"]
        await paquis.resident("amelie")
        token = await token_for(paquis, "amelie")
        created = await post_outbox(
            rig.client, paquis, "amelie", token, {"type": "Note", "content": "Bonjour"}
        )
        async with paquis.instance.database.session() as session:
            post_uri = await session.scalar(
                select(Activity.object_uri).where(Activity.uri == created.headers["location"])
            )
        # When she likes then un-likes her own post
        liked = await post_outbox(
            rig.client, paquis, "amelie", token, {"type": "Like", "object": post_uri}
        )
        assert liked.status_code == 201
        async with paquis.instance.database.session() as session:
            assert await session.scalar(select(Reaction.uri)) == liked.headers["location"]
        undone = await post_outbox(
            rig.client,
            paquis,
            "amelie",
            token,
            {"type": "Undo", "object": liked.headers["location"]},
        )
        # Then the reaction is gone
        assert undone.status_code == 201
        async with paquis.instance.database.session() as session:
            assert await session.scalar(select(Reaction.uri)) is None


async def test_outbox_refuses_bad_requests(tmp_path: Path) -> None:
    async with federation_rig(tmp_path, hosts=("paquis.test",)) as rig:
        paquis = rig["paquis.test"]
        await paquis.resident("amelie")
        await paquis.resident("karim")
        token = await token_for(paquis, "amelie")
        url = "http://paquis.test/@amelie/outbox"
        note = {"type": "Note", "content": "x"}
        # No token, an unknown token, someone else's outbox
        assert (await rig.client.post(url, json=note)).status_code == 401
        assert (await post_outbox(rig.client, paquis, "amelie", "nope", note)).status_code == 401
        assert (await post_outbox(rig.client, paquis, "karim", token, note)).status_code == 403
        # Not JSON, not an activity, unsupported, empty note, unknown object
        bad = await rig.client.post(url, content=b"{", headers={"Authorization": f"Bearer {token}"})
        assert bad.status_code == 400 and "JSON" in bad.json()["error"]
        assert (await post_outbox(rig.client, paquis, "amelie", token, [1])).status_code == 400
        assert (
            await post_outbox(rig.client, paquis, "amelie", token, {"type": "Block", "object": "x"})
        ).status_code == 400
        assert (
            await post_outbox(rig.client, paquis, "amelie", token, {"type": "Note", "content": " "})
        ).status_code == 400
        assert (
            await post_outbox(
                rig.client,
                paquis,
                "amelie",
                token,
                {"type": "Delete", "object": "http://paquis.test/posts/x"},
            )
        ).status_code == 404
        # And nothing was published
        async with paquis.instance.database.session() as session:
            assert await session.scalar(select(Post.id)) is None
