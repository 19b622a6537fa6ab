"""A petition of the Pâquis assembly, signed from three quartiers over real signed HTTP: each
resident once, wherever they sign from; a withdrawal counts; a vote claiming another author, one
from outside the quartiers it speaks for and one after the deadline are refused; the deadline
closes it everywhere, and the last tally reaches every signer; every proof checks out, and a
tampered one does not; handed over, then answered, it shows its answer in every quartier and its
signers there are told."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from commons.petitions import proofs
from commons.petitions.answers import mark_submitted, publish_answer
from commons.petitions.audit import audit
from commons.petitions.fields import PetitionFields
from commons.petitions.services import confirm, draft_petition
from commons.petitions.signatures import sign, vote_activity, withdraw
from commons.petitions.worker import PetitionTallies
from config.errors import DomainError
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Membership, Notification, Petition, Signature, utcnow
from storage.models.petitions import ANSWERED, CLOSED, FEDERATED, HERE
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote

HOSTS = ("paquis.test", "jonction.test", "servette.test")


async def copy_of(node: Node, uri: str) -> Petition | None:
    async with node.instance.database.session() as session:
        return await session.scalar(select(Petition).where(Petition.uri == uri))


async def sign_on(node: Node, username: str, uri: str) -> None:
    async with node.instance.database.transaction() as session:
        person = await session.scalar(select(Actor).where(Actor.username == username))
        petition = await session.scalar(select(Petition).where(Petition.uri == uri))
        assert person is not None and petition is not None
        await sign(session, node.instance.uris, person, petition)


async def send_raw_vote(
    node: Node, username: str, uri: str, *, keep: bool = False, **changes: object
) -> None:
    """A vote as a server that checks nothing would send it (and ``keep`` as signed there)."""
    async with node.instance.database.transaction() as session:
        person = await session.scalar(select(Actor).where(Actor.username == username))
        petition = await session.scalar(select(Petition).where(Petition.uri == uri))
        assert person is not None and petition is not None
        author = await session.get(Actor, petition.actor_id)
        assert author is not None
        vote = vote_activity(node.instance.uris, person, petition, author)
        vote["object"].update(changes)
        await enqueue_activity(session, person, proofs.signed(person, vote), to_followers=False,
                               inboxes=[author.inbox_uri])  # fmt: skip
        if keep:
            session.add(Signature(petition_id=petition.id, signer_id=person.id,
                                  signer_uri=person.uri, way=HERE, vote_uri=vote["id"]))  # fmt: skip


async def tally(node: Node, uri: str) -> int:
    petition = await copy_of(node, uri)
    assert petition is not None
    return petition.signature_count


async def test_three_quartiers_sign_the_assembly_petition_and_its_deadline_closes_it(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction, servette = (rig[host] for host in HOSTS)
        # Given the Pâquis assembly, two of its members, and followers in two other quartiers
        jeanmarc = await paquis.resident("jeanmarc")
        karim = await paquis.resident("karim")
        await paquis.resident("nadia")
        assembly = await paquis.collective("assemblee", "jeanmarc", "assembly")
        async with paquis.instance.database.transaction() as session:
            session.add(Membership(group_id=assembly.id, member_id=karim.id, role="member"))
        omar = await jonction.resident("omar")
        ines = await servette.resident("ines")
        await follow_remote(jonction, omar, assembly.uri)
        await follow_remote(servette, ines, assembly.uri)
        await rig.drain()

        # When it drafts a petition for the Pâquis and the Jonction, and Karim confirms
        uris = paquis.instance.uris
        fields = PetitionFields(
            title="Un passage piéton rue de Berne", text="Pour les **enfants**.",
            deadline=utcnow() + timedelta(days=20), goal=3, may_sign="residents",
            scope_domains=("paquis.test", "jonction.test"), addressee="Ville de Genève",
        )  # fmt: skip
        async with paquis.instance.database.transaction() as session:
            petition = await draft_petition(session, uris, jeanmarc, assembly, fields, [karim])
        async with paquis.instance.database.transaction() as session:
            row = await session.get(Petition, petition.id)
            person = await session.get(Actor, karim.id)
            assert row is not None and person is not None
            assert await confirm(session, uris, person, row)
        await rig.drain()

        # Then the other quartiers have it, with its terms
        for node in (jonction, servette):
            copy = await copy_of(node, petition.uri)
            assert copy is not None and not copy.is_local and copy.goal == 3
            assert copy.scope_domains == "paquis.test jonction.test"
            assert copy.may_sign == "residents" and copy.option_name == "Je signe"

        # When Nadia signs here and Omar from the Jonction, twice
        await sign_on(paquis, "nadia", petition.uri)
        await sign_on(jonction, "omar", petition.uri)
        with pytest.raises(DomainError) as twice:
            await sign_on(jonction, "omar", petition.uri)
        assert twice.value.code == "already_signed"
        # (his signature reaches the Pâquis first: of two votes in flight together either may
        # arrive first, and the one refused is then taken back on the Jonction)
        await rig.drain()
        await send_raw_vote(jonction, "omar", petition.uri)  # a second vote all the same
        await rig.drain()
        assert await tally(paquis, petition.uri) == 2

        # And Inès of the Servette, outside the quartiers it speaks for, is told why
        with pytest.raises(DomainError) as outside:
            await sign_on(servette, "ines", petition.uri)
        assert outside.value.code == "may_not_sign"
        await send_raw_vote(servette, "ines", petition.uri, keep=True)
        # And a vote of Inès claiming to be Omar's is refused
        await send_raw_vote(servette, "ines", petition.uri, attributedTo=omar.uri)
        await rig.drain()
        assert await tally(paquis, petition.uri) == 2
        async with servette.instance.database.session() as session:
            kept = await session.scalar(select(Signature).where(Signature.signer_uri == ines.uri))
        assert kept is not None and kept.withdrawn_at is not None and kept.verification
        assert (
            "réservée aux habitant·e·s des quartiers paquis.test, jonction.test"
            in (kept.verification["refused"])
        )

        # When Omar withdraws and signs again, the tally follows
        async with jonction.instance.database.transaction() as session:
            person = await session.get(Actor, omar.id)
            copy = await session.scalar(select(Petition).where(Petition.uri == petition.uri))
            assert person is not None and copy is not None
            await withdraw(session, jonction.instance.uris, person, copy)
        await rig.drain()
        assert await tally(paquis, petition.uri) == 1
        await sign_on(jonction, "omar", petition.uri)
        await rig.drain()
        assert await tally(paquis, petition.uri) == 2

        # And the tally reaches the other quartiers in one Update
        assert (await PetitionTallies(paquis.instance.database, uris).run_once()).updates == 1
        await rig.drain()
        assert await tally(jonction, petition.uri) == 2 and await tally(servette, petition.uri) == 2

        # And every proof is checked again; Omar's signature came from his own server
        async with paquis.instance.database.session() as session:
            row = await session.get(Petition, petition.id)
            assert row is not None
            checked = await audit(session, row)
            omars = await session.scalar(
                select(Signature).where(Signature.signer_uri == omar.uri))  # fmt: skip
            signer = await session.scalar(select(Actor).where(Actor.uri == omar.uri))
        assert checked.counted == 2 and checked.proofs_valid == 2 and checked.is_sound
        assert checked.by_quartier == {"paquis.test": 1, "jonction.test": 1}
        assert omars is not None and omars.way == FEDERATED and omars.proof is not None
        assert signer is not None and proofs.check(omars.proof, signer).is_valid
        tampered = json.loads(json.dumps(omars.proof))
        tampered["object"]["inReplyTo"] = "https://paquis.test/petitions/another"
        assert not proofs.check(tampered, signer).is_valid

        # When the deadline passes, the petition closes here and everywhere
        after = petition.deadline + timedelta(seconds=1)
        closing = PetitionTallies(paquis.instance.database, uris, clock=lambda: after)
        assert (await closing.run_once()).closed == 1
        await rig.drain()
        for node in (paquis, jonction, servette):
            copy = await copy_of(node, petition.uri)
            assert copy is not None and copy.status == CLOSED and copy.signature_count == 2
        # And a vote after it is not counted
        await send_raw_vote(jonction, "omar", petition.uri)
        await rig.drain()
        assert await tally(paquis, petition.uri) == 2

        # When the assembly hands it over, then publishes the answer it received
        async with paquis.instance.database.transaction() as session:
            row = await session.get(Petition, petition.id)
            person = await session.get(Actor, jeanmarc.id)
            assert row is not None and person is not None
            await mark_submitted(session, uris, person, row)
        await rig.drain()
        async with paquis.instance.database.transaction() as session:
            row = await session.get(Petition, petition.id)
            person = await session.get(Actor, karim.id)
            assert row is not None and person is not None
            with pytest.raises(DomainError):  # Karim is a member, not a facilitator
                await publish_answer(session, uris, person, row, "Accepté.")
            person = await session.get(Actor, jeanmarc.id)
            assert person is not None
            await publish_answer(session, uris, person, row,
                                 "La Ville posera le passage **en mai**.")  # fmt: skip
        await rig.drain()

        # Then every quartier shows it answered, with the answer, and its signers are told
        for node in (paquis, jonction, servette):
            copy = await copy_of(node, petition.uri)
            assert copy is not None and copy.status == ANSWERED
            assert copy.submitted_at is not None and copy.answered_at is not None
            assert copy.answer_html is not None and "<strong>en mai</strong>" in copy.answer_html
        for node, signer in ((paquis, "nadia"), (jonction, "omar")):
            async with node.instance.database.session() as session:
                told = await session.scalars(
                    select(Notification.kind)
                    .join(Actor, Actor.id == Notification.recipient_id)
                    .where(Actor.username == signer, Actor.is_local.is_(True))
                )
                assert "petition_answered" in told.all()
        async with servette.instance.database.session() as session:
            ines_told = await session.scalars(
                select(Notification.kind).where(Notification.recipient_id == ines.id)
            )
            assert "petition_answered" not in ines_told.all()  # her signature was refused
