"""Supports of our proposals through the real inbox, signed by a Mastodon-shaped server: a
favourite (``Like``) counts once per person, its ``Undo`` takes it back, and a Like of an
answered proposal is not counted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from actors.services import create_account, create_group
from commons.proposals.services import answer_proposal, propose
from storage.models import Actor, Membership, Proposal
from tests.inbox.fediverse import Fediverse, fediverse
from tests.inbox.test_plain_notes import receive_all

HOSTS = ("mastodon.test",)
AS = "https://www.w3.org/ns/activitystreams"


async def proposal_of(world: Fediverse) -> Proposal:
    instance = world.instance
    async with instance.database.transaction() as session:
        await create_account(session, instance.settings, "amina", "password123")
        member = await create_account(session, instance.settings, "yves", "password123")
        group = await create_group(session, instance.settings, "assemblee", "assembly", "amina")
        session.add(Membership(group_id=group.id, member_id=member.actor_id, role="member"))
        person = await session.get(Actor, member.actor_id)
        assert person is not None
        return await propose(session, instance.uris, person, group, "Des bancs", "À l’ombre.")


def like(who: str, proposal: Proposal, n: int) -> dict[str, Any]:
    return {"@context": AS, "id": f"{who}#likes/{n}", "type": "Like", "actor": who,
            "object": proposal.uri}  # fmt: skip


async def supports(world: Fediverse, proposal: Proposal) -> int:
    async with world.instance.database.session() as session:
        row = await session.scalar(select(Proposal).where(Proposal.id == proposal.id))
    assert row is not None
    return row.support_count


async def test_a_favourite_is_a_support_once_and_its_undo_takes_it_back(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS) as world:
        alice, bob = (world["mastodon.test"].add_actor(name) for name in ("alice", "bob"))
        proposal = await proposal_of(world)

        await receive_all(world, [(alice, like(alice, proposal, 1)), (alice, like(alice, proposal, 2)),
                                  (bob, like(bob, proposal, 1))])  # fmt: skip
        assert await world.handle() == 3
        assert await supports(world, proposal) == 2

        undo = {"@context": AS, "id": f"{alice}#likes/1/undo", "type": "Undo", "actor": alice,
                "object": like(alice, proposal, 1)}  # fmt: skip
        await receive_all(world, [(alice, undo)])
        assert await world.handle() == 1
        assert await supports(world, proposal) == 1

        # Once answered, a new favourite does not count
        async with world.instance.database.transaction() as session:
            row = await session.get(Proposal, proposal.id)
            amina = await session.scalar(select(Actor).where(Actor.username == "amina"))
            assert row is not None and amina is not None
            await answer_proposal(session, world.instance.uris, amina, row, "rejected", "Non.")
        await receive_all(world, [(alice, like(alice, proposal, 3))])
        assert await world.handle() == 1
        assert await supports(world, proposal) == 1
