"""Residents and collectives on different instances follow each other for real."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from actors.follows import answer_follow_request
from commons.posts.services import delete_note, publish_note
from config.uris import Uris
from storage.models import Actor, Follow, Post
from storage.models.follows import ACCEPTED, PENDING
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote, unfollow_remote


async def test_resident_follows_collective_sees_posts_and_unfollows(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given a repair café on paquis.test and a resident of jonction.test
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        nadia = await jonction.resident("nadia")

        # When she follows it
        await follow_remote(jonction, nadia, cafe.uri)
        await rig.drain()

        # Then the collective accepted at once, on both sides
        assert await follow_state(jonction, nadia.uri, cafe.uri) == ACCEPTED
        assert await follow_state(paquis, nadia.uri, cafe.uri) == ACCEPTED

        # When the collective publishes, the post reaches jonction.test
        async with paquis.instance.database.transaction() as session:
            author = await session.get(Actor, cafe.id)
            assert author is not None
            post = await publish_note(
                session,
                Uris(paquis.settings.base_url),
                author,
                "Samedi : **Repair Café** de 10h à 16h",
            )
        await rig.drain()
        remote = await post_on(jonction, post.uri)
        assert remote is not None and "<strong>Repair Café</strong>" in remote.content_html

        # When the collective deletes it, it is deleted on jonction.test too
        async with paquis.instance.database.transaction() as session:
            author = await session.get(Actor, cafe.id)
            row = await session.get(Post, post.id)
            assert author is not None and row is not None
            await delete_note(session, Uris(paquis.settings.base_url), author, row)
        await rig.drain()
        remote = await post_on(jonction, post.uri)
        assert remote is not None and remote.deleted_at is not None and remote.content_html == ""

        # When she unfollows, the follow is gone on both sides
        await unfollow_remote(jonction, nadia, cafe.uri)
        await rig.drain()
        assert await follow_state(paquis, nadia.uri, cafe.uri) is None
        assert await follow_state(jonction, nadia.uri, cafe.uri) is None


async def test_resident_with_manual_approval_keeps_follow_pending(tmp_path: Path) -> None:
    async with federation_rig(tmp_path, hosts=("paquis.test", "servette.test")) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        # Given a resident who approves followers by hand
        amelie = await paquis.resident("amelie", manual=True)
        leo = await servette.resident("leo")
        # When someone follows her
        await follow_remote(servette, leo, amelie.uri)
        await rig.drain()
        # Then the follow waits for her approval and nothing was accepted
        assert await follow_state(paquis, leo.uri, amelie.uri) == PENDING
        assert await follow_state(servette, leo.uri, amelie.uri) == PENDING

        # When she accepts it, both sides agree
        await answer_pending(paquis, amelie, leo.uri, accept=True)
        await rig.drain()
        assert await follow_state(paquis, leo.uri, amelie.uri) == ACCEPTED
        assert await follow_state(servette, leo.uri, amelie.uri) == ACCEPTED


async def test_rejected_follow_request_is_removed_on_both_sides(tmp_path: Path) -> None:
    async with federation_rig(tmp_path, hosts=("paquis.test", "servette.test")) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        amelie = await paquis.resident("amelie", manual=True)
        leo = await servette.resident("leo")
        await follow_remote(servette, leo, amelie.uri)
        await rig.drain()
        # When she rejects the request
        await answer_pending(paquis, amelie, leo.uri, accept=False)
        await rig.drain()
        # Then no follow remains anywhere
        assert await follow_state(paquis, leo.uri, amelie.uri) is None
        assert await follow_state(servette, leo.uri, amelie.uri) is None


async def answer_pending(node: Node, followed: Actor, follower_uri: str, *, accept: bool) -> None:
    async with node.instance.database.transaction() as session:
        follower_id = select(Actor.id).where(Actor.uri == follower_uri).scalar_subquery()
        row = await session.scalar(
            select(Follow).where(
                Follow.follower_id == follower_id, Follow.followed_id == followed.id
            )
        )
        assert row is not None
        await answer_follow_request(session, node.instance.uris, followed, row, accept=accept)


async def follow_state(node: object, follower_uri: str, followed_uri: str) -> str | None:
    from tests.federation_rig.rig import Node

    assert isinstance(node, Node)
    async with node.instance.database.session() as session:
        follower = select(Actor.id).where(Actor.uri == follower_uri).scalar_subquery()
        followed = select(Actor.id).where(Actor.uri == followed_uri).scalar_subquery()
        return await session.scalar(
            select(Follow.state).where(
                Follow.follower_id == follower, Follow.followed_id == followed
            )
        )


async def post_on(node: object, uri: str) -> Post | None:
    from tests.federation_rig.rig import Node

    assert isinstance(node, Node)
    async with node.instance.database.session() as session:
        return await session.scalar(select(Post).where(Post.uri == uri))


async def count_posts(node: object) -> int:
    from tests.federation_rig.rig import Node

    assert isinstance(node, Node)
    async with node.instance.database.session() as session:
        return await session.scalar(select(func.count()).select_from(Post)) or 0
