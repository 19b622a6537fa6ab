"""Petitions: drafted with a promoter committee, opened when every promoter confirms, signed
once per person whichever way the signature comes, withdrawn, refused with a reason; tallies
sent in batches; the deadline closes them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from commons.petitions import proofs
from commons.petitions.fields import PetitionFields
from commons.petitions.services import confirm, draft_petition
from commons.petitions.signatures import VoteCheck, receive_vote, receive_withdrawal, sign, withdraw
from commons.petitions.worker import PetitionTallies
from config.errors import DomainError
from storage.database import Database
from storage.models import Activity, Actor, Delivery, Notification, Petition, Post, utcnow
from storage.models.petitions import CLOSED, COLLECTING, DRAFT, FEDERATED, HERE, MASTODON
from tests.commons.event_support import Quartier


def fields(**changes: object) -> PetitionFields:
    values: dict[str, object] = dict(
        title="Un passage piéton devant l’école des Pâquis", text="Les enfants **traversent**.",
        deadline=utcnow() + timedelta(days=30), goal=4, addressee="Ville de Genève",
    )  # fmt: skip
    values.update(changes)
    return PetitionFields(**values)  # type: ignore[arg-type]


async def opened(database: Database, q: Quartier, **changes: object) -> Petition:
    async with database.transaction() as session:
        petition = await draft_petition(session, q.uris, q.jeanmarc, q.cafe, fields(**changes),
                                        [q.karim])  # fmt: skip
    async with database.transaction() as session:
        row = await session.get(Petition, petition.id)
        assert row is not None
        assert await confirm(session, q.uris, q.karim, row)
        return row


async def remote_person(database: Database, domain: str, name: str = "lea") -> Actor:
    async with database.transaction() as session:
        uri = f"https://{domain}/users/{name}"
        actor = Actor(uri=uri, type="Person", username=name, domain=domain, is_local=False,
                      inbox_uri=f"{uri}/inbox", shared_inbox_uri=f"https://{domain}/inbox",
                      public_key_id=f"{uri}#main-key", public_key_pem="-")  # fmt: skip
        session.add(actor)
    return actor


def mastodon_vote(voter: Actor, petition: Petition, author: Actor, n: int = 1) -> dict[str, object]:
    """A vote exactly as Mastodon sends one."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{voter.uri}#votes/{n}/activity",
        "type": "Create",
        "actor": voter.uri,
        "to": author.uri,
        "object": {
            "id": f"{voter.uri}#votes/{n}", "type": "Note", "name": "Je signe",
            "attributedTo": voter.uri, "to": author.uri, "inReplyTo": petition.uri,
        },
    }  # fmt: skip


CHECK = VoteCheck(key_id="https://mastodon.example/users/lea#main-key", verified_at=utcnow())


async def test_a_petition_opens_once_its_whole_committee_confirms(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    async with database.transaction() as session:
        with pytest.raises(DomainError) as alone:
            await draft_petition(session, q.uris, q.jeanmarc, q.cafe, fields())
        assert alone.value.code == "too_few_promoters"
        with pytest.raises(DomainError) as outsider:  # nadia is no member of the café
            await draft_petition(session, q.uris, q.jeanmarc, q.cafe, fields(), [q.nadia])
        assert outsider.value.code == "too_few_promoters"
        petition = await draft_petition(session, q.uris, q.jeanmarc, q.cafe, fields(), [q.karim])
        assert petition.status == DRAFT and petition.scope_domains == q.cafe.domain
        told = await session.scalar(select(Notification.kind).where(
            Notification.recipient_id == q.karim.id))  # fmt: skip
        assert told == "petition_committee"
        with pytest.raises(DomainError) as stranger:
            await confirm(session, q.uris, q.nadia, petition)
        assert stranger.value.code == "not_a_promoter"
        assert await session.scalar(select(func.count()).select_from(Activity)) == 0
        assert await confirm(session, q.uris, q.karim, petition)
        assert petition.status == COLLECTING
        payload = json.loads(await session.scalar(select(Activity.payload)) or "{}")
    question = payload["object"]
    assert payload["type"] == "Create" and question["type"] == "Question"
    assert question["attributedTo"] == q.cafe.uri and "summary" not in question
    assert [option["name"] for option in question["oneOf"]] == ["Je signe"]
    assert question["oneOf"][0]["replies"]["totalItems"] == 0 and question["votersCount"] == 0
    assert question["endTime"].endswith("Z") and question["signatureGoal"] == 4
    assert "Ville de Genève" in question["content"]


async def test_a_resident_signs_once_withdraws_and_signs_again_with_a_proof(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    petition = await opened(database, q)
    async with database.transaction() as session:
        row = await session.get(Petition, petition.id)
        nadia = await session.get(Actor, q.nadia.id)
        assert row is not None and nadia is not None
        signature = await sign(session, q.uris, nadia, row)
        assert signature.way == HERE and row.signature_count == 1
        with pytest.raises(DomainError) as twice:
            await sign(session, q.uris, nadia, row)
        assert twice.value.code == "already_signed" and row.signature_count == 1
        # The vote carries her proof, which her published key verifies; a change breaks it
        assert signature.proof is not None and proofs.check(signature.proof, nadia).is_valid
        assert proofs.assertion_method(nadia)[0]["publicKeyMultibase"] == nadia.assertion_key
        tampered = {**signature.proof, "actor": q.karim.uri}
        assert not proofs.check(tampered, nadia).is_valid
        await withdraw(session, q.uris, nadia, row)
        assert row.signature_count == 0
        with pytest.raises(DomainError) as again:
            await withdraw(session, q.uris, nadia, row)
        assert again.value.code == "not_signed"
        await sign(session, q.uris, nadia, row)
        assert row.signature_count == 1


async def test_mastodon_votes_count_once_and_within_the_rules(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    petition = await opened(database, q)
    lea = await remote_person(database, "mastodon.example")
    async with database.transaction() as session:
        row = await session.get(Petition, petition.id)
        assert row is not None
        vote = mastodon_vote(lea, row, q.cafe)
        signature = await receive_vote(session, row, lea, vote, CHECK)
        assert signature.way == MASTODON and signature.verification is not None
        assert signature.verification["key_id"] == CHECK.key_id
        with pytest.raises(DomainError) as twice:
            await receive_vote(session, row, lea, mastodon_vote(lea, row, q.cafe, 2), CHECK)
        assert twice.value.code == "already_signed" and row.signature_count == 1
        wrong = mastodon_vote(lea, row, q.cafe)
        wrong["object"] = {**wrong["object"], "name": "Non"}  # type: ignore[dict-item]
        with pytest.raises(DomainError) as other_option:
            await receive_vote(session, row, lea, wrong, CHECK)
        assert other_option.value.code == "not_the_option"
        assert await receive_withdrawal(session, row, lea) and row.signature_count == 0
        with pytest.raises(DomainError) as late:
            await receive_vote(session, row, lea, vote, CHECK, now=row.deadline)
        assert late.value.code == "petition_not_open" and row.signature_count == 0


async def test_only_residents_of_the_scope_may_sign_and_are_told_why(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    petition = await opened(database, q, may_sign="residents",
                            scope_domains=(q.cafe.domain, "jonction.test"))  # fmt: skip
    lea = await remote_person(database, "mastodon.example")
    ana = await remote_person(database, "jonction.test", "ana")
    async with database.transaction() as session:
        row = await session.get(Petition, petition.id)
        assert row is not None
        with pytest.raises(DomainError) as outside:
            await receive_vote(session, row, lea, mastodon_vote(lea, row, q.cafe), CHECK)
        assert outside.value.code == "may_not_sign"
        assert outside.value.details["quartiers"] == f"{q.cafe.domain} jonction.test"
        await receive_vote(session, row, ana, mastodon_vote(ana, row, q.cafe), CHECK)
        nadia = await session.get(Actor, q.nadia.id)
        assert nadia is not None
        await sign(session, q.uris, nadia, row)
        assert row.signature_count == 2


async def test_members_only_petitions_refuse_others(database: Database, quartier: Quartier) -> None:
    q = quartier
    petition = await opened(database, q, may_sign="members")
    async with database.transaction() as session:
        row = await session.get(Petition, petition.id)
        nadia, karim = await session.get(Actor, q.nadia.id), await session.get(Actor, q.karim.id)
        assert row is not None and nadia is not None and karim is not None
        with pytest.raises(DomainError) as refused:
            await sign(session, q.uris, nadia, row)
        assert refused.value.code == "may_not_sign"
        await sign(session, q.uris, karim, row)
        assert row.signature_count == 1


async def test_a_proof_of_another_quartier_makes_a_federated_signature(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    petition = await opened(database, q)
    ana = await remote_person(database, "jonction.test", "ana")
    async with database.transaction() as session:
        row = await session.get(Petition, petition.id)
        remote = await session.get(Actor, ana.id)
        assert row is not None and remote is not None
        # Ana's server signs her vote with her key, which her actor publishes
        key = proofs.assertion_key(remote)
        assert key is not None
        remote.assertion_private_pem = None
        vote = proofs.sign_with(key, remote, mastodon_vote(remote, row, q.cafe))
        signature = await receive_vote(session, row, remote, vote, CHECK)
        assert signature.way == FEDERATED and signature.proof == vote


async def test_tallies_go_out_in_batches_and_the_deadline_closes_the_petition(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    petition = await opened(database, q, goal=4)
    voters = [await remote_person(database, f"q{n}.example") for n in range(6)]
    async with database.transaction() as session:
        row = await session.get(Petition, petition.id)
        assert row is not None
        for n, voter in enumerate(voters[:3]):
            await receive_vote(session, row, voter, mastodon_vote(voter, row, q.cafe, n), CHECK)
    tallies = PetitionTallies(database, q.uris)
    assert (await tallies.run_once()).updates == 1  # three votes, one Update
    assert (await tallies.run_once()).updates == 0  # nothing changed since
    async with database.session() as session:
        updates = list(await session.scalars(select(Activity).where(Activity.type == "Update")))
        assert len(updates) == 1
        question = json.loads(updates[0].payload)["object"]
        assert question["votersCount"] == 3 and question["updated"]
        inboxes = set(await session.scalars(
            select(Delivery.inbox_uri).where(Delivery.activity_id == updates[0].id)))  # fmt: skip
        assert inboxes == {f"https://q{n}.example/inbox" for n in range(3)}
        notice = await session.scalar(select(Post.content_html).where(Post.actor_id == q.cafe.id))
        assert notice is not None and "75 %" in notice
    later = PetitionTallies(
        database, q.uris, clock=lambda: petition.deadline + timedelta(seconds=1)
    )
    assert (await later.run_once()).closed == 1
    async with database.session() as session:
        row = await session.get(Petition, petition.id)
        assert row is not None and row.status == CLOSED
        last = await session.scalar(
            select(Activity).where(Activity.type == "Update").order_by(Activity.id.desc()))  # fmt: skip
        assert last is not None and json.loads(last.payload)["object"]["closed"]
