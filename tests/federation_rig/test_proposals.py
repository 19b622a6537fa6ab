"""A member's proposal to the Pâquis assembly, over real signed HTTP: it reaches a follower at
the Jonction as a post of the assembly; her favourite there is a support at the Pâquis, and
taking it back removes it; the assembly's answer reaches the Jonction's copy."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from commons.posts.reactions import react, undo_reaction
from commons.proposals.services import answer_proposal, propose
from storage.models import Actor, Membership, Post, Proposal, Reaction
from storage.models.posts import LIKE
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote

HOSTS = ("paquis.test", "jonction.test")


async def copy_at(node: Node, uri: str) -> Post:
    async with node.instance.database.session() as session:
        post = await session.scalar(select(Post).where(Post.uri == uri))
    assert post is not None
    return post


async def supports(node: Node, uri: str) -> int:
    async with node.instance.database.session() as session:
        proposal = await session.scalar(select(Proposal).where(Proposal.uri == uri))
    assert proposal is not None
    return proposal.support_count


async def test_a_proposal_is_supported_from_another_quartier_and_its_answer_reaches_it(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = (rig[host] for host in HOSTS)
        jeanmarc = await paquis.resident("jeanmarc")
        karim = await paquis.resident("karim")
        assembly = await paquis.collective("assemblee", "jeanmarc", "assembly")
        async with paquis.instance.database.transaction() as session:
            session.add(Membership(group_id=assembly.id, member_id=karim.id, role="member"))
        omar = await jonction.resident("omar")
        await follow_remote(jonction, omar, assembly.uri)
        await rig.drain()

        # When Karim proposes a tool library to the assembly
        async with paquis.instance.database.transaction() as session:
            proposal = await propose(session, paquis.instance.uris, karim, assembly,
                                     "Une outilthèque", "Des outils **à prêter**.")  # fmt: skip
        await rig.drain()

        # Then Omar, at the Jonction, has it as a post of the assembly
        copy = await copy_at(jonction, proposal.uri)
        assert (
            "Une outilthèque" in copy.content_html and "Proposition de karim" in copy.content_html
        )

        # When he favourites it, it counts as a support at the Pâquis; and taking it back too
        async with jonction.instance.database.transaction() as session:
            person = await session.get(Actor, omar.id)
            post = await session.get(Post, copy.id)
            assert person is not None and post is not None
            await react(session, jonction.instance.uris, person, post, LIKE)
        await rig.drain()
        assert await supports(paquis, proposal.uri) == 1
        async with jonction.instance.database.transaction() as session:
            reaction = await session.scalar(select(Reaction).where(Reaction.actor_id == omar.id))
            person = await session.get(Actor, omar.id)
            assert reaction is not None and person is not None
            await undo_reaction(session, jonction.instance.uris, person, reaction)
        await rig.drain()
        assert await supports(paquis, proposal.uri) == 0

        # When the assembly answers, the answer reaches the Jonction
        async with paquis.instance.database.transaction() as session:
            row = await session.get(Proposal, proposal.id)
            person = await session.get(Actor, jeanmarc.id)
            assert row is not None and person is not None
            await answer_proposal(session, paquis.instance.uris, person, row, "accepted",
                                  "Acceptée à l’assemblée de mai.")  # fmt: skip
        await rig.drain()
        copy = await copy_at(jonction, proposal.uri)
        assert "Acceptée à l’assemblée de mai." in copy.content_html
