"""Steps a resident takes in rig tests, through the same services as the web UI."""

from __future__ import annotations

from actors.follows import follow, unfollow
from storage.models import Actor
from tests.federation_rig.rig import Node


async def _remote(node: Node, uri: str) -> Actor:
    target = await node.instance.remote_actors.actor(uri)
    assert target is not None, f"{node.host} cannot resolve {uri}"
    return target


async def follow_remote(node: Node, follower: Actor, target_uri: str) -> None:
    target = await _remote(node, target_uri)
    async with node.instance.database.transaction() as session:
        await follow(session, node.instance.uris, follower, target)


async def unfollow_remote(node: Node, follower: Actor, target_uri: str) -> None:
    target = await _remote(node, target_uri)
    async with node.instance.database.transaction() as session:
        await unfollow(session, node.instance.uris, follower, target)
