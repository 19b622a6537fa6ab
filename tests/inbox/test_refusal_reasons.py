"""Every refusal of the inbox says why, in one line a remote admin can act on.

Each case posts a real request, checks the status and the reason in the JSON answer, and that
nothing was stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from federation.keys import generate_rsa_keypair
from storage.models import InboxItem
from tests.inbox.fediverse import ACTIVITY_JSON, Fediverse, activity, encode, fediverse, note


async def refused(world: Fediverse, response: httpx2.Response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    answer: Any = response.json()
    # The reason itself, or the reason and what the parser or the check said of it
    assert answer["error"] == reason or answer["error"].startswith(f"{reason}: "), answer
    assert await world.count(InboxItem) == 0


async def test_bodies_that_are_not_activities_are_refused_with_their_reason(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path) as world:
        alice = world["mastodon.test"].add_actor("alice")
        without_id = activity("Create", alice, note(alice, 1), 1)
        del without_id["id"]
        overlong = activity("Create", alice, note(alice, 1), 1)
        overlong["id"] = f"{alice}/{'a' * 2100}"
        cases: list[tuple[bytes, str]] = [
            (b'{"type": "Create", ', "body is not JSON"),
            (b"[1, 2]", "not an activity"),
            (ACTIVITY_JSON.encode(), "body is not JSON"),
        ]
        for body, reason in cases:
            response = await world.client.post(
                world.shared_inbox, content=body, headers={"Content-Type": ACTIVITY_JSON}
            )
            await refused(world, response, 400, reason)
        await refused(world, await world.post_as(alice, without_id), 400, "an activity needs an id")
        await refused(
            world, await world.post_as(alice, overlong), 400, "an id longer than 2048 characters"
        )


@pytest.mark.parametrize("declared", [True, False])
async def test_a_body_over_the_cap_is_refused_and_one_at_the_cap_is_taken(
    tmp_path: Path, declared: bool
) -> None:
    alice = "http://mastodon.test/users/alice"
    taken = activity("Create", alice, note(alice, 1), 1)
    cap = len(encode(taken))
    # Given an instance whose cap is exactly the size of one activity
    async with fediverse(tmp_path, max_body_bytes=cap) as world:
        world["mastodon.test"].add_actor("alice")
        # When a body one byte longer is posted (its length declared, or streamed without one)
        over = activity("Create", alice, note(alice, 1, "Bonjour!"), 1)
        assert len(encode(over)) == cap + 1
        response = await world.post_as(alice, over, streamed=not declared)
        # Then it is refused with the cap in the reason
        await refused(world, response, 413, f"body larger than {cap} bytes")
        # While the body of exactly the cap is taken
        response = await world.post_as(alice, taken, streamed=not declared)
        assert response.status_code == 202
        assert await world.count(InboxItem) == 1


async def test_signatures_that_do_not_hold_are_refused_with_their_reason(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        alice = mastodon.add_actor("alice")
        bob = mastodon.add_actor("bob")
        nadia = mobilizon.add_actor("nadia")
        post = activity("Create", alice, note(alice, 1), 1)
        # Unsigned
        unsigned = await world.client.post(
            world.shared_inbox, json=post, headers={"Content-Type": ACTIVITY_JSON}
        )
        await refused(world, unsigned, 401, "no usable signature")
        # Signed with a key of another server than the actor's
        await refused(
            world,
            await world.post_as(alice, post, key_id=f"{nadia}#main-key"),
            401,
            "the signing key does not belong to the activity's actor",
        )
        # Signed with a key nobody serves
        await refused(
            world,
            await world.post_as(alice, post, key_id="http://mastodon.test/users/ghost#main-key"),
            401,
            "cannot get key http://mastodon.test/users/ghost#main-key",
        )
        # Signed under alice's key id with another key (her key is fetched again, in vain)
        forged = generate_rsa_keypair()
        await refused(
            world,
            await world.post_as(alice, post, key_pair=forged),
            401,
            "signature does not verify",
        )
        assert mastodon.fetched.count("/users/alice") == 2
        # Signed by bob, for alice's activity
        bob_key = mastodon.key_pair("bob")
        response = await world.post_as(alice, post, key_id=f"{bob}#main-key", key_pair=bob_key)
        await refused(world, response, 401, "the signing key belongs to another actor")
        # Correctly signed, but its id on another server
        elsewhere = {**post, "id": f"{nadia}/activities/1"}
        await refused(
            world,
            await world.post_as(alice, elsewhere),
            403,
            "the activity id is not on its actor's server",
        )


async def test_a_gone_actor_is_refused_and_a_self_delete_needs_no_key(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        # Given alice deleted her account: her server answers 410 for her, and she is gone here
        await world.post_as(alice, activity("Delete", alice, alice, 1))
        await world.handle()
        gone = await world.actor(alice)
        assert gone is not None and gone.is_gone
        mastodon.serve(410, at=alice)
        items = await world.count(InboxItem)
        # When she posts again with her old key
        response = await world.post_as(alice, activity("Create", alice, note(alice, 1), 2))
        # Then it is refused
        assert response.status_code == 401
        assert response.json()["error"] == "this actor is gone"
        # While a Delete of herself, whose key cannot be had any more, is answered 202
        ghost = mastodon.add_actor("ghost")
        mastodon.serve(410, at=ghost)
        response = await world.post_as(ghost, activity("Delete", ghost, ghost, 1))
        assert response.status_code == 202
        # And a Delete of something else under that key is refused
        response = await world.post_as(ghost, activity("Delete", ghost, f"{ghost}/notes/1", 2))
        assert response.status_code == 401
        assert await world.count(InboxItem) == items
