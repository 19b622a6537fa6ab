"""Only who followed, liked or boosted can take it back. A Follow is undone by its id, or by the
account it followed (some servers undo under another id); a Like or boost by its id. Someone
else naming them changes nothing. And each person's like counts once, tells the author once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storage.models import Actor, Follow, Notification, Post, Reaction
from tests.inbox.conftest import Ignored
from tests.inbox.fediverse import Fediverse, activity, deliver, fediverse, resident


async def following(world: Fediverse) -> list[tuple[str, str]]:
    """Who follows whom here: (follower, followed) ids, in the order they followed."""
    async with world.instance.database.session() as session:
        rows = await session.scalars(select(Follow).order_by(Follow.id))
        pairs = []
        for row in rows:
            follower = await session.get(Actor, row.follower_id)
            followed = await session.get(Actor, row.followed_id)
            assert follower is not None and followed is not None
            pairs.append((follower.uri, followed.uri))
        return pairs


async def test_a_follow_is_undone_by_its_follower_only(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given alice following two of our residents, and bob following one of them
        sami, lina = await resident(world, "sami"), await resident(world, "lina")
        server = world["mastodon.test"]
        alice, bob = server.add_actor("alice"), server.add_actor("bob")
        of_sami = activity("Follow", alice, sami.uri, 1)
        await deliver(world, alice, of_sami, activity("Follow", alice, lina.uri, 2))
        await deliver(world, bob, activity("Follow", bob, sami.uri, 1))
        before = await following(world)
        assert len(before) == 3

        # When bob undoes alice's follow of sami, by its id and embedded
        await deliver(world, bob, activity("Undo", bob, of_sami["id"], 2),
                      activity("Undo", bob, of_sami, 3))  # fmt: skip
        # Then nothing changes, not even bob's own follow
        assert await following(world) == before
        assert ignored() == [f"an Undo of an activity of {alice}"]

        # When alice undoes a follow of sami under an id we never had (her server's own)
        renamed = {**of_sami, "id": f"{alice}/follows/renamed"}
        await deliver(world, alice, activity("Undo", alice, renamed, 3))
        # Then her follow of sami is gone, and only that one
        assert await following(world) == [(alice, lina.uri), (bob, sami.uri)]


async def test_each_like_counts_once_tells_the_author_and_is_undone_by_its_liker_only(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given a post of sami's
        sami = await resident(world, "sami")
        uri = "http://paquis.test/posts/1"
        async with world.instance.database.transaction() as session:
            session.add(Post(uri=uri, actor_id=sami.id, is_local=True, url=uri,
                             content_html="<p>Qui a une échelle ?</p>"))  # fmt: skip
        server = world["mastodon.test"]
        alice, bob = server.add_actor("alice"), server.add_actor("bob")

        # When alice likes it twice (under two ids), bob likes it and alice boosts it
        alices = activity("Like", alice, uri, 1)
        await deliver(world, alice, alices, activity("Like", alice, uri, 2),
                      activity("Announce", alice, uri, 3))  # fmt: skip
        await deliver(world, bob, activity("Like", bob, uri, 1))

        # Then one like each, one boost, and sami hears of each once, from whom it came
        async with world.instance.database.session() as session:
            reactions = (await session.execute(
                select(Actor.uri, Reaction.kind).join(Actor, Actor.id == Reaction.actor_id)
                .order_by(Reaction.id))).all()  # fmt: skip
            told = (await session.execute(
                select(Notification.kind, Actor.uri, Notification.post_id, Notification.recipient_id)
                .join(Actor, Actor.id == Notification.from_actor_id).order_by(Notification.id)
            )).all()  # fmt: skip
            post_id = await session.scalar(select(Post.id).where(Post.uri == uri))
        assert [tuple(row) for row in reactions] == [
            (alice, "like"), (alice, "announce"), (bob, "like")]  # fmt: skip
        assert [tuple(row) for row in told] == [
            ("like", alice, post_id, sami.id), ("boost", alice, post_id, sami.id),
            ("like", bob, post_id, sami.id)]  # fmt: skip

        # When bob undoes alice's like by its id, then alice undoes it
        await deliver(world, bob, activity("Undo", bob, alices["id"], 2))
        assert await world.count(Reaction) == 3
        await deliver(world, alice, activity("Undo", alice, alices["id"], 4))
        # Then only hers is gone
        assert await world.count(Reaction) == 2
