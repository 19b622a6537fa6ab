"""A member of another server posts in one of our collectives: the collective announces the
post to its followers, and then the author's change and deletion of it, so that every follower's
copy follows. A post in another server's collective is that server's to pass on, not ours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from actors.services import create_account, create_group
from storage.models import Activity, Actor
from tests.inbox.fediverse import Fediverse, activity, deliver, fediverse, note


async def announced(world: Fediverse, group_uri: str) -> list[Any]:
    """What the collective announced, in order: the type of each activity it passed on, or
    the bare id it boosted."""
    async with world.instance.database.session() as session:
        payloads = await session.scalars(
            select(Activity.payload)
            .join(Actor, Actor.id == Activity.actor_id)
            .where(Actor.uri == group_uri, Activity.type == "Announce")
            .order_by(Activity.id)
        )
        passed = [json.loads(payload)["object"] for payload in payloads]
    return [item["type"] if isinstance(item, dict) else item for item in passed]


async def our_collective(world: Fediverse) -> str:
    async with world.instance.database.transaction() as session:
        await create_account(session, world.instance.settings, "sami", "password123")
        group = await create_group(session, world.instance.settings, "jardin", "space", "sami")
        return group.uri


@pytest.mark.parametrize("change", ["Update", "Delete"])
async def test_a_members_change_of_a_post_in_our_collective_is_passed_on(
    tmp_path: Path, database_kind: str, change: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given alice, of another server, a member of our collective, who posts in it
        jardin = await our_collective(world)
        alice = world["mastodon.test"].add_actor("alice")
        await deliver(world, alice, activity("Join", alice, jardin, 1))
        post = note(alice, 1, "Semis samedi", cc=[jardin])
        await deliver(world, alice, activity("Create", alice, post, 1))
        assert await announced(world, jardin) == ["Create", post["id"]]
        # When she changes it, or deletes it
        changed = note(alice, 1, "Semis dimanche", cc=[jardin])
        await deliver(world, alice, activity(change, alice, changed, 2))
        # Then the collective passes that on too
        assert await announced(world, jardin) == ["Create", post["id"], change]


@pytest.mark.parametrize("change", ["Update", "Delete"])
async def test_a_change_of_a_post_in_another_servers_collective_is_not_passed_on_by_us(
    tmp_path: Path, database_kind: str, change: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given nadia's post in a collective of her server, kept here in its audience, and one
        # of hers in none
        mobilizon = world["mobilizon.test"]
        nadia, velo = mobilizon.add_actor("nadia"), mobilizon.add_actor("velo", kind="Group")
        assert await world.instance.remote_actors.actor(velo) is not None
        jardin = await our_collective(world)
        in_group, alone = note(nadia, 1, "Atelier", cc=[velo]), note(nadia, 2, "Bonjour")
        await deliver(world, nadia, activity("Create", nadia, in_group, 1),
                      activity("Create", nadia, alone, 2))  # fmt: skip
        # When she changes or deletes both
        await deliver(world, nadia, activity(change, nadia, note(nadia, 1, "Atelier !"), 3),
                      activity(change, nadia, note(nadia, 2, "Bonsoir"), 4))  # fmt: skip
        # Then nothing is announced here: neither by her collective nor by ours
        assert await world.count(Activity, Activity.type == "Announce") == 0
        assert await announced(world, jardin) == []
