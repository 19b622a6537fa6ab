"""What a collective of another server shares, as our inbox receives it: its Announce of an item
we keep is remembered (our pages say the item came "via" it) and offered to the collectives of
ours that follow it, as is what it publishes itself; its Undo forgets the share. A person's
boost shares nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from actors.services import create_account, create_group
from storage.models import Actor, Follow, Share
from storage.models.follows import ACCEPTED
from storage.models.shares import SHARE_PENDING, SHARE_SHARED
from tests.inbox.fediverse import Fediverse, activity, deliver, fediverse, note

CLUB = "http://mobilizon.test/users/club"


async def shares_of(world: Fediverse, group_uri: str) -> list[tuple[str, str, str | None]]:
    """The collective's shares: what each names, its state and the Announce that made it."""
    async with world.instance.database.session() as session:
        rows = await session.execute(
            select(Share.object_uri, Share.state, Share.announce_uri)
            .join(Actor, Actor.id == Share.group_id)
            .where(Actor.uri == group_uri)
            .order_by(Share.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def offered_to(world: Fediverse, group_uri: str) -> list[tuple[str, str, str]]:
    """What our collective was offered by the collectives it follows: the item, its state, and
    through which collective."""
    async with world.instance.database.session() as session:
        via = aliased(Actor)
        rows = await session.execute(
            select(Share.object_uri, Share.state, via.uri)
            .join(Actor, Actor.id == Share.group_id)
            .outerjoin(via, via.id == Share.via_id)
            .where(Actor.uri == group_uri)
            .order_by(Share.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def jardin_following(world: Fediverse, club: str) -> str:
    """Our collective "jardin", following the collective ``club`` of another server."""
    async with world.instance.database.transaction() as session:
        await create_account(session, world.instance.settings, "sami", "password123")
        jardin = await create_group(session, world.instance.settings, "jardin", "space", "sami")
        followed = await session.scalar(select(Actor).where(Actor.uri == club))
        assert followed is not None
        session.add(Follow(uri=f"{jardin.uri}/follows/1", follower_id=jardin.id,
                           followed_id=followed.id, state=ACCEPTED))  # fmt: skip
        return jardin.uri


async def alices_post(world: Fediverse, **changes: Any) -> tuple[str, str, dict[str, Any]]:
    """alice of mastodon.test, whose post paquis keeps, and club, a collective of
    mobilizon.test: their ids, and the post."""
    alice = world["mastodon.test"].add_actor("alice")
    club = world["mobilizon.test"].add_actor("club", "Group")
    assert club == CLUB
    post = note(alice, 1, "Troc de graines samedi", **changes)
    await deliver(world, alice, activity("Create", alice, post, 1))
    return alice, club, post


@pytest.mark.parametrize("undo", ["embedded", "by id", "embedded without its id"])
async def test_a_collectives_announce_is_kept_offered_to_its_followers_and_undone(
    tmp_path: Path, database_kind: str, undo: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given a post of alice's, and the collective club, known here and followed by ours
        _alice, club, post = await alices_post(world)
        await deliver(world, club, activity("Create", club, note(club, 1), 1))
        jardin = await jardin_following(world, club)
        # When club announces alice's post, then publishes a post of its own
        announce = activity("Announce", club, post["id"], 2)
        await deliver(world, club, announce)
        await deliver(world, club, activity("Create", club, note(club, 2), 3))
        # Then the share is kept, with the Announce that made it, and both are offered to our
        # collective, through club
        assert await shares_of(world, club) == [(post["id"], SHARE_SHARED, announce["id"])]
        assert await offered_to(world, jardin) == [
            (post["id"], SHARE_PENDING, club),
            (f"{club}/statuses/2", SHARE_PENDING, club),
        ]
        # When club takes its Announce back: embedded in its Undo, named by its id alone, or
        # embedded without its id (then known by what it announced)
        taken_back: dict[str, Any] | str = {
            "embedded": announce,
            "by id": announce["id"],
            "embedded without its id": {k: v for k, v in announce.items() if k != "id"},
        }[undo]
        await deliver(world, club, activity("Undo", club, taken_back, 4))
        # Then its share is forgotten; what our collective was offered is its own to decide
        assert await shares_of(world, club) == []
        assert len(await offered_to(world, jardin)) == 2


async def test_a_collectives_announce_of_a_create_shares_the_object_created(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        alice, club, post = await alices_post(world, cc=[CLUB])
        # When club passes alice's Create on, as a group does for what is posted in it
        announce = activity("Announce", club, activity("Create", alice, post, 1), 1)
        await deliver(world, club, announce)
        # Then the share names the post, not the Create
        assert await shares_of(world, club) == [(post["id"], SHARE_SHARED, announce["id"])]


@pytest.mark.parametrize("passed_on", ["Update", "Delete", "Like"])
async def test_a_collectives_announce_of_another_activity_shares_nothing(
    tmp_path: Path, database_kind: str, passed_on: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        alice, club, post = await alices_post(world, cc=[CLUB])
        # When club passes on alice's change of her post, or her like of it
        changed = note(alice, 1, "Troc de graines dimanche", cc=[CLUB])
        inner = activity(passed_on, alice, post["id"] if passed_on == "Like" else changed, 2)
        await deliver(world, club, activity("Announce", club, inner, 1))
        # Then it is no share of the post
        assert await shares_of(world, club) == []


async def test_a_persons_boost_shares_nothing_and_offers_nothing(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        alice = world["mastodon.test"].add_actor("alice")
        bob = world["mobilizon.test"].add_actor("bob")
        post = note(alice, 1, "Troc de graines samedi")
        await deliver(world, alice, activity("Create", alice, post, 1))
        await deliver(world, bob, activity("Create", bob, note(bob, 1), 1))
        # Given our collective following bob, who is a person (as a Mastodon account can be)
        jardin = await jardin_following(world, bob)
        # When bob boosts alice's post, and posts another
        await deliver(world, bob, activity("Announce", bob, post["id"], 2))
        await deliver(world, bob, activity("Create", bob, note(bob, 2), 3))
        # Then nothing is kept as his share, and nothing offered to our collective
        assert await shares_of(world, bob) == []
        assert await offered_to(world, jardin) == []
