"""Votes on our petitions through the real inbox, signed by Mastodon-shaped servers: a batch
counts each new signer once in one statement, and refuses the second votes of signers already
counted with a Reject each; another option, a vote claiming someone else and a vote on a
petition for residents only go the reference way, which refuses with a Reject (or drops a vote
that is not the sender's own)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from actors.services import create_account, create_group
from commons.petitions.fields import PetitionFields
from commons.petitions.services import confirm, draft_petition
from storage.models import Activity, Actor, Delivery, Membership, Petition, Signature, utcnow
from storage.models.petitions import MASTODON
from tests.inbox.fediverse import Fediverse, fediverse
from tests.inbox.test_plain_notes import inserts_into, receive_all

HOSTS = ("mastodon.test", "mobilizon.test")


async def open_petition(world: Fediverse, name: str, **changes: Any) -> Petition:
    instance = world.instance
    async with instance.database.transaction() as session:
        first = await create_account(session, instance.settings, f"{name}-a", "password123")
        second = await create_account(session, instance.settings, f"{name}-b", "password123")
        group = await create_group(session, instance.settings, name, "assembly", f"{name}-a")
        session.add(Membership(group_id=group.id, member_id=second.actor_id, role="member"))
        person = await session.get(Actor, first.actor_id)
        other = await session.get(Actor, second.actor_id)
        assert person is not None and other is not None
        fields = PetitionFields(title="Des bancs", text="", goal=100,
                                deadline=utcnow() + timedelta(days=9), **changes)  # fmt: skip
        petition = await draft_petition(session, instance.uris, person, group, fields, [other])
        await confirm(session, instance.uris, other, petition)
        return petition


def vote(voter: str, petition: Petition, n: int, **changes: Any) -> dict[str, Any]:
    note = {"id": f"{voter}#votes/{n}", "type": "Note", "name": "Je signe",
            "attributedTo": voter, "inReplyTo": petition.uri}  # fmt: skip
    note.update(changes)
    return {"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
            "id": f"{voter}#votes/{n}/activity", "actor": voter, "object": note}  # fmt: skip


async def signatures(world: Fediverse, petition: Petition) -> dict[str, str]:
    async with world.instance.database.session() as session:
        rows = await session.execute(
            select(Signature.signer_uri, Signature.way).where(
                Signature.petition_id == petition.id, Signature.withdrawn_at.is_(None)
            )
        )
        return dict(rows.all())


async def tally(world: Fediverse, petition: Petition) -> int:
    async with world.instance.database.session() as session:
        row = await session.get(Petition, petition.id)
        assert row is not None
        return row.signature_count


async def rejects(world: Fediverse) -> list[dict[str, Any]]:
    async with world.instance.database.session() as session:
        payloads = await session.scalars(select(Activity.payload).where(Activity.type == "Reject"))
        return [json.loads(payload) for payload in payloads]


async def test_a_batch_of_votes_counts_each_signer_once_and_refuses_the_rest(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS, per_origin_concurrency=16) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        people = [mastodon.add_actor(name) for name in ("alice", "bob", "carol", "dave")]
        zoe = mobilizon.add_actor("zoe")
        petition = await open_petition(world, "assemblee")
        alice, bob, carol, dave = people
        # Given alice's vote already counted
        await receive_all(world, [(alice, vote(alice, petition, 1))])
        assert await world.handle() == 1 and await tally(world, petition) == 1

        # When, together, bob, carol and zoe vote; alice votes again; dave votes for another
        # option; and mallory... dave sends a vote he says is bob's
        await receive_all(world, [
            (bob, vote(bob, petition, 1)),
            (carol, vote(carol, petition, 1)),
            (zoe, vote(zoe, petition, 1)),
            (alice, vote(alice, petition, 2)),
            (dave, vote(dave, petition, 1, name="Je ne signe pas")),
        ])  # fmt: skip
        await receive_all(world, [(dave, vote(dave, petition, 2, attributedTo=bob))])
        with inserts_into(world.instance.database, "petition_signatures") as inserts:
            assert await world.handle() == 6
        assert len(inserts) == 1  # the three new signers in one statement

        # Then each signer counts once, as a Mastodon vote with its HTTP-signature record
        found = await signatures(world, petition)
        assert found == {uri: MASTODON for uri in (alice, bob, carol, zoe)}
        assert await tally(world, petition) == 4
        async with world.instance.database.session() as session:
            kept = await session.scalar(select(Signature).where(Signature.signer_uri == zoe))
            assert kept is not None and kept.verification is not None
            assert (
                kept.verification["key_id"] == f"{zoe}#main-key"
                and kept.quartier == "mobilizon.test"
            )
            assert kept.vote_uri == f"{zoe}#votes/1/activity"
            # the record of the HTTP signature that carried it, as a vote received alone has
            assert kept.verification == {"key_id": f"{zoe}#main-key", "algorithm": "",
                                         "verified_at": kept.verification["verified_at"],
                                         "actor": zoe}  # fmt: skip
            verified = datetime.fromisoformat(kept.verification["verified_at"])
            assert verified.replace(tzinfo=None) == kept.signed_at.replace(tzinfo=None)
            signer = await session.scalar(select(Actor.id).where(Actor.uri == zoe))
            assert kept.signer_id == signer
        # And alice's second vote and dave's other option are refused with a reason; dave's
        # vote in bob's name is dropped
        refused = {reject["object"]: reject["content"] for reject in await rejects(world)}
        assert refused == {
            f"{alice}#votes/2/activity": "Votre signature est déjà comptée.",
            f"{dave}#votes/1/activity": "Une signature dit « Je signe », et rien d’autre.",
        }
        # each Reject addressed to its voter alone, and queued for their server only
        assert {reject["object"]: reject["to"] for reject in await rejects(world)} == {
            f"{alice}#votes/2/activity": [alice],
            f"{dave}#votes/1/activity": [dave],
        }
        async with world.instance.database.session() as session:
            hosts = await session.scalars(
                select(Delivery.host)
                .join(Activity, Activity.id == Delivery.activity_id)
                .where(Activity.type == "Reject")
            )
            assert sorted(hosts) == ["mastodon.test", "mastodon.test"]


async def test_a_signer_of_another_petition_is_counted_in_a_batch_for_this_one(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS, per_origin_concurrency=16) as world:
        mastodon = world["mastodon.test"]
        alice, bob = mastodon.add_actor("alice"), mastodon.add_actor("bob")
        benches, trees = await open_petition(world, "bancs"), await open_petition(world, "arbres")
        # Given alice's signature on one petition
        await receive_all(world, [(alice, vote(alice, benches, 1))])
        assert await world.handle() == 1
        # When she and bob sign the other, together
        await receive_all(world, [(alice, vote(alice, trees, 2)), (bob, vote(bob, trees, 1))])
        assert await world.handle() == 2
        # Then both count on it, and her first signature stands
        assert await signatures(world, trees) == {alice: MASTODON, bob: MASTODON}
        assert await signatures(world, benches) == {alice: MASTODON}
        assert (await tally(world, trees), await tally(world, benches)) == (2, 1)
        assert await rejects(world) == []


async def test_second_votes_of_many_signers_are_refused_together(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS, per_origin_concurrency=16) as world:
        people = [world["mastodon.test"].add_actor(f"p{n}") for n in range(6)]
        petition = await open_petition(world, "assemblee")
        # Given six signers counted
        await receive_all(world, [(who, vote(who, petition, 1)) for who in people])
        assert await world.handle() == 6 and await tally(world, petition) == 6

        # When each of them votes again, in one batch
        await receive_all(world, [(who, vote(who, petition, 2)) for who in people])
        with inserts_into(world.instance.database, "activities") as inserts:
            assert await world.handle() == 6

        # Then nothing more is counted, and each is told why, by one statement for all
        assert await tally(world, petition) == 6
        assert len(inserts) == 1
        reasons = {reject["object"]: reject["content"] for reject in await rejects(world)}
        assert reasons == {
            f"{who}#votes/2/activity": "Votre signature est déjà comptée." for who in people
        }


async def test_a_petition_for_residents_refuses_votes_from_elsewhere_with_the_reason(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS, per_origin_concurrency=16) as world:
        people = [world["mastodon.test"].add_actor(name) for name in ("alice", "bob", "carol")]
        petition = await open_petition(world, "assemblee", may_sign="residents")
        await receive_all(world, [(who, vote(who, petition, 1)) for who in people])
        assert await world.handle() == 3
        assert await tally(world, petition) == 0 and await signatures(world, petition) == {}
        reasons = {reject["content"] for reject in await rejects(world)}
        assert reasons == {
            "Cette pétition est réservée aux habitant·e·s des quartiers paquis.test."
        }
        async with world.instance.database.session() as session:
            assert await session.scalar(select(func.count()).select_from(Signature)) == 0
