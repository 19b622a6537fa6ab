"""Proposals: a member proposes to the collective (published at once as a Note of the
collective); each person supports it once, here or by a Like, and may take it back; a
facilitator answers with a status and a text, sent as an Update, and the member is told; an
answered proposal gathers no more support."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from commons.events.organisers import NotOrganiser
from commons.proposals.received import receive_like, receive_unlike
from commons.proposals.services import add_support, answer_proposal, propose, take_back_support
from config.errors import DomainError
from storage.database import Database
from storage.models import Activity, Notification, Proposal
from tests.commons.event_support import Quartier
from tests.commons.petitions.test_petitions import remote_person

TITLE = "Une outilthèque à la maison de quartier"


async def proposed(database: Database, q: Quartier) -> Proposal:
    async with database.transaction() as session:
        return await propose(session, q.uris, q.karim, q.cafe, TITLE,
                             "Perceuses, scies et échelles **à prêter**.")  # fmt: skip


async def count(database: Database, proposal: Proposal) -> int:
    async with database.session() as session:
        row = await session.get(Proposal, proposal.id)
        assert row is not None
        return row.support_count


async def test_a_member_proposes_and_the_collectives_followers_receive_a_note(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    proposal = await proposed(database, q)
    async with database.session() as session:
        created = await session.scalar(select(Activity).where(Activity.type == "Create"))
    assert created is not None and created.actor_id == q.cafe.id
    note = json.loads(created.payload)["object"]
    assert note["type"] == "Note" and note["attributedTo"] == q.cafe.uri
    assert note["proposedBy"] == q.karim.uri and note["proposalStatus"] == "open"
    assert "Proposition de karim" in note["content"] and TITLE in note["content"]
    assert proposal.status == "open"

    # A resident who is no member cannot propose; nor can anyone without a text
    async with database.transaction() as session:
        for person, title, text, code in ((q.nadia, TITLE, "x", "may_not_propose"),
                                          (q.karim, " ", "x", "missing_proposal_title"),
                                          (q.karim, TITLE, " ", "missing_proposal_text")):  # fmt: skip
            with pytest.raises(DomainError) as refused:
                await propose(session, q.uris, person, q.cafe, title, text)
            assert refused.value.code == code


async def test_each_person_supports_once_here_or_by_a_like_and_may_take_it_back(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    proposal = await proposed(database, q)
    lea = await remote_person(database, "mastodon.example")
    like = f"{lea.uri}#likes/1"
    async with database.transaction() as session:
        row = await session.get(Proposal, proposal.id)
        assert row is not None
        await add_support(session, row, q.nadia)
        assert await receive_like(session, row, lea, like) is None
        assert await receive_like(session, row, lea, f"{lea.uri}#likes/2") == "already_supported"
        with pytest.raises(DomainError) as twice:
            await add_support(session, row, q.nadia)
        assert twice.value.code == "already_supported"
    assert await count(database, proposal) == 2

    async with database.transaction() as session:
        row = await session.get(Proposal, proposal.id)
        assert row is not None
        assert not await receive_unlike(session, row, lea, f"{lea.uri}#likes/9")  # not hers
        assert await receive_unlike(session, row, lea, like)
        assert await take_back_support(session, row, q.nadia.uri)
    assert await count(database, proposal) == 0


async def test_a_facilitator_answers_and_the_member_is_told(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    proposal = await proposed(database, q)
    async with database.transaction() as session:
        row = await session.get(Proposal, proposal.id)
        assert row is not None
        with pytest.raises(NotOrganiser):  # Karim is a member, not a facilitator
            await answer_proposal(session, q.uris, q.karim, row, "accepted", "Oui.")
        with pytest.raises(DomainError) as bare:
            await answer_proposal(session, q.uris, q.jeanmarc, row, "rejected", " ")
        assert bare.value.code == "proposal_answer_missing"
        await answer_proposal(session, q.uris, q.jeanmarc, row, "evaluating", "")
        await answer_proposal(session, q.uris, q.jeanmarc, row, "accepted",
                              "L’assemblée du 12 mai l’a **acceptée**.")  # fmt: skip
    async with database.session() as session:
        last = await session.scalar(
            select(Activity).where(Activity.type == "Update").order_by(Activity.id.desc())
        )
        told = list(await session.scalars(select(Notification.kind).where(
            Notification.recipient_id == q.karim.id)))  # fmt: skip
    assert last is not None
    note = json.loads(last.payload)["object"]
    assert (
        note["proposalStatus"] == "accepted"
        and "<strong>acceptée</strong>" in note["proposalAnswer"]
    )
    assert note["updated"] and "Réponse de l’assemblée : Acceptée" in note["content"]
    assert told == ["proposal_answered"]  # once, while unread

    # And it gathers no more support
    async with database.transaction() as session:
        row = await session.get(Proposal, proposal.id)
        assert row is not None
        with pytest.raises(DomainError) as closed:
            await add_support(session, row, q.nadia)
    assert closed.value.code == "proposal_answered"
