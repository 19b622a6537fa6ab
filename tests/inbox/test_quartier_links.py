"""Federation between quartiers is a link between two servers' instance actors: their Follows,
accepted both ways, start the reading of the other's recent past. A person following a
quartier, or followed by it, is a follower like any other: nothing is read."""

from __future__ import annotations

from pathlib import Path

from actors.quartier_federation import instance_actor_of
from storage.models import Backfill, Follow
from storage.models.follows import ACCEPTED
from tests.inbox.fediverse import Fediverse, activity, deliver, fediverse


async def our_quartier_follows(world: Fediverse, uri: str) -> str:
    """Our instance actor follows ``uri``, accepted; returns our instance actor's id."""
    there = await world.instance.remote_actors.actor(uri)
    assert there is not None
    async with world.instance.database.transaction() as session:
        here = await instance_actor_of(session)
        session.add(Follow(uri=f"{here.uri}/follows/{there.id}", follower_id=here.id,
                           followed_id=there.id, state=ACCEPTED))  # fmt: skip
        return here.uri


async def test_a_person_following_our_quartier_back_is_no_neighbour_quartier(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given our quartier following alice, a person on Mastodon
        alice = world["mastodon.test"].add_actor("alice")
        quartier = await our_quartier_follows(world, alice)

        # When alice follows our quartier back
        await deliver(world, alice, activity("Follow", alice, quartier, 1))

        # Then she follows it, and no reading of her past begins
        assert await world.count(Follow) == 2
        assert await world.count(Backfill) == 0


async def test_a_quartier_following_ours_back_is_read(tmp_path: Path, database_kind: str) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given our quartier following the Servette's
        servette = world["mastodon.test"].add_actor("quartier", kind="Application")
        quartier = await our_quartier_follows(world, servette)

        # When the Servette follows ours back
        await deliver(world, servette, activity("Follow", servette, quartier, 1))

        # Then the two quartiers federate: the reading of its past begins
        assert await world.count(Backfill) == 1
