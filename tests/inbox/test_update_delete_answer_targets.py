"""What a received Update, Delete, Accept or Reject is about (inbox/object_targets.py and
inbox/answer_targets.py), through the real inbox and worker, signed by Mastodon- and
Mobilizon-shaped servers: a profile, a remote event, petition, poll or post we hold, the sender
itself, one of our residents' follows, signatures and answers to offers. What is none of ours is
ignored: nothing written, the item done, never an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from actors.follows import follow
from commons.offers.responses import respond
from commons.petitions.signatures import sign
from storage.models import (
    Actor,
    Event,
    Follow,
    Offer,
    OfferResponse,
    Petition,
    Poll,
    Post,
    Signature,
)
from storage.models.follows import ACCEPTED, PENDING
from storage.models.offers import ACCEPTED as TAKEN
from storage.models.offers import PENDING as UNANSWERED
from storage.models.offers import REJECTED
from tests.inbox.conftest import Ignored
from tests.inbox.fediverse import (
    Fediverse,
    activity,
    deliver,
    fediverse,
    in_days,
    note,
    resident,
)
from tests.inbox.test_remote_offers import apples


async def follows(world: Fediverse, name: str, *targets: str) -> tuple[Actor, list[Follow]]:
    """A new resident, and their pending Follows of the remote actors ``targets``."""
    person = await resident(world, name)
    for uri in targets:
        assert await world.instance.remote_actors.actor(uri) is not None
    async with world.instance.database.transaction() as session:
        found = []
        for uri in targets:
            there = await session.scalar(select(Actor).where(Actor.uri == uri))
            assert there is not None
            found.append(await follow(session, world.instance.uris, person, there))
        return person, found


async def row(world: Fediverse, model: type[Any], uri: str) -> Any:
    async with world.instance.database.session() as session:
        found = await session.scalar(select(model).where(model.uri == uri))
        assert found is not None
        return found


async def taken_back(world: Fediverse, signature: Signature) -> str | None:
    """Why the signature was refused, once it is taken back; None while it counts."""
    async with world.instance.database.session() as session:
        found = await session.get(Signature, signature.id)
        assert found is not None
        if found.withdrawn_at is None:
            return None
        return str((found.verification or {}).get("refused"))


def petition(group: str, signed: int) -> dict[str, Any]:
    """A petition of a collective of another quartier, as our servers send it."""
    return {"id": f"{group}/petitions/1", "type": "Question", "attributedTo": group,
            "name": "Des bancs", "content": "<p>À l’ombre.</p>", "endTime": in_days(30),
            "signatureGoal": 100, "petitionStatus": "collecting", "votersCount": signed,
            "oneOf": [{"type": "Note", "name": "Je signe"}]}  # fmt: skip


def poll(group: str, voters: int) -> dict[str, Any]:
    """A poll of a collective of another quartier, as our servers send it."""
    return {"id": f"{group}/polls/1", "type": "Question", "attributedTo": group,
            "name": "Quel soir ?", "endTime": in_days(5), "whoMayVote": "anyone",
            "votersCount": voters, "oneOf": [{"type": "Note", "name": "Mardi"},
                                             {"type": "Note", "name": "Jeudi"}]}  # fmt: skip


async def test_an_update_of_a_profile_refreshes_its_actor_but_not_when_sent_by_another(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice, bob = mastodon.add_actor("alice"), mastodon.add_actor("bob")
        profile = mastodon.documents["/users/alice"]
        assert isinstance(profile, dict)
        # Given alice, known here
        assert await world.instance.remote_actors.actor(alice) is not None
        # When bob sends an Update of alice's profile, then alice one of her own
        await deliver(world, bob, activity("Update", bob, {**profile, "name": "Mallory"}, 1))
        known = await world.actor(alice)
        assert known is not None and known.name == "Alice"
        await deliver(world, alice, activity("Update", alice, {**profile, "name": "Alice B."}, 1))
        # Then only her own changes it
        known = await world.actor(alice)
        assert known is not None and known.name == "Alice B."


async def test_a_remote_event_is_changed_and_deleted_by_its_server_only(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        atelier = world["mobilizon.test"].add_actor("atelier")
        mallory = world["mastodon.test"].add_actor("mallory")
        event = {"id": f"{atelier}/events/1", "type": "Event", "name": "Vélo",
                 "attributedTo": atelier, "startTime": in_days(10)}  # fmt: skip
        await deliver(world, atelier, activity("Create", atelier, event, 1))
        # When mallory, of another server, sends an Update and a Delete of it
        moved = {**event, "name": "Vélo annulé"}
        await deliver(world, mallory, activity("Update", mallory, moved, 1))
        await deliver(world, mallory, activity("Delete", mallory, event["id"], 2))
        # Then it stands as it was
        kept = await world.event(event["id"])
        assert kept is not None and kept.title == "Vélo" and kept.deleted_at is None
        # When its organiser changes it, then deletes it, each is done
        await deliver(world, atelier, activity("Update", atelier, {**event, "name": "Vélo!"}, 2))
        kept = await world.event(event["id"])
        assert kept is not None and kept.title == "Vélo!" and kept.deleted_at is None
        await deliver(world, atelier, activity("Delete", atelier, event["id"], 3))
        kept = await world.event(event["id"])
        assert kept is not None and kept.deleted_at is not None


async def test_a_remote_petition_and_poll_take_their_new_tally_and_go_when_deleted(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        assemblee = world["mobilizon.test"].add_actor("assemblee", kind="Group")
        mallory = world["mastodon.test"].add_actor("mallory")
        # Given a petition and a poll of a collective of another quartier
        await deliver(world, assemblee, activity("Create", assemblee, petition(assemblee, 3), 1))
        await deliver(world, assemblee, activity("Create", assemblee, poll(assemblee, 1), 2))
        # When it sends their new tallies
        await deliver(world, assemblee, activity("Update", assemblee, petition(assemblee, 40), 3))
        await deliver(world, assemblee, activity("Update", assemblee, poll(assemblee, 7), 4))
        # Then they are kept, not as posts
        kept_petition = await row(world, Petition, f"{assemblee}/petitions/1")
        kept_poll = await row(world, Poll, f"{assemblee}/polls/1")
        assert (kept_petition.signature_count, kept_poll.voters_count) == (40, 7)
        assert await world.count(Post) == 0
        # When someone else deletes them, they stay; when the collective does, they go
        for number, uri in enumerate((kept_petition.uri, kept_poll.uri)):
            await deliver(world, mallory, activity("Delete", mallory, uri, number))
        assert (await row(world, Petition, kept_petition.uri)).deleted_at is None
        assert (await row(world, Poll, kept_poll.uri)).deleted_at is None
        for number, uri in enumerate((kept_petition.uri, kept_poll.uri), start=5):
            await deliver(world, assemblee, activity("Delete", assemblee, uri, number))
        assert (await row(world, Petition, kept_petition.uri)).deleted_at is not None
        assert (await row(world, Poll, kept_poll.uri)).deleted_at is not None


async def test_an_update_or_delete_of_what_we_never_had_writes_nothing(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        alice = world["mastodon.test"].add_actor("alice")
        # Given a post of alice's, known here
        await deliver(world, alice, activity("Create", alice, note(alice, 9, "Troc"), 9))
        # When alice updates a post we never received, an object without id, and one without
        # type; and deletes an unknown id, an unknown Tombstone and one without id
        await deliver(
            world,
            alice,
            activity("Update", alice, note(alice, 1, "Corrigé"), 1),
            activity("Update", alice, {"type": "Note", "content": "<p>Sans id</p>"}, 2),
            activity("Update", alice, {"id": f"{alice}/statuses/2", "content": "<p>?</p>"}, 3),
            activity("Delete", alice, f"{alice}/statuses/3", 4),
            activity("Delete", alice, {"id": f"{alice}/statuses/4", "type": "Tombstone"}, 5),
            activity("Delete", alice, {"type": "Tombstone"}, 6),
        )
        # Then every item is done (checked by deliver), nothing was kept, and her post stands
        assert len(await world.inbox_items()) == 7
        assert await world.count(Post) == 1 and await world.count(Event) == 0
        known = await world.post(f"{alice}/statuses/9")
        assert known is not None and known.deleted_at is None and "Troc" in known.content_html
        # And the log says why, for each
        assert ignored() == ["unknown post", "an object without id",
                             "unusable object: type is missing", *["unknown object"] * 3]  # fmt: skip


async def test_a_delete_of_herself_marks_the_sender_gone_but_a_delete_of_her_by_another_not(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice, bob = mastodon.add_actor("alice"), mastodon.add_actor("bob")
        await deliver(world, alice, activity("Create", alice, note(alice, 1), 1))
        # When bob sends a Delete of alice
        await deliver(world, bob, activity("Delete", bob, alice, 1))
        # Then neither is gone, and her post stays
        for uri in (alice, bob):
            known = await world.actor(uri)
            assert known is not None and not known.is_gone
        assert await world.post(f"{alice}/statuses/1") is not None
        # When alice deletes herself, she is gone and her posts with her
        await deliver(world, alice, activity("Delete", alice, alice, 2))
        known = await world.actor(alice)
        assert known is not None and known.is_gone
        assert await world.count(Post) == 0


async def test_an_accept_of_our_residents_follow_by_its_id_comes_from_the_followed_only(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice, bob, carol = (mastodon.add_actor(name) for name in ("alice", "bob", "carol"))
        # Given sami's pending Follows of alice and carol
        _sami, (of_alice, of_carol) = await follows(world, "sami", alice, carol)
        # When bob accepts sami's Follow of alice, naming it by its id
        await deliver(world, bob, activity("Accept", bob, of_alice.uri, 1))
        # Then it still waits
        assert (await row(world, Follow, of_alice.uri)).state == PENDING
        # When alice accepts it, and carol rejects hers, by their ids
        await deliver(world, alice, activity("Accept", alice, of_alice.uri, 1))
        await deliver(world, carol, activity("Reject", carol, of_carol.uri, 1))
        # Then sami follows alice, and no longer asks to follow carol
        assert (await row(world, Follow, of_alice.uri)).state == ACCEPTED
        assert await world.count(Follow, Follow.uri == of_carol.uri) == 0


async def test_an_accept_embedding_the_follow_is_known_by_its_follower_when_the_id_differs(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice, bob = mastodon.add_actor("alice"), mastodon.add_actor("bob")
        _lina, [linas] = await follows(world, "lina", alice)  # lina asked first
        sami, [pending] = await follows(world, "sami", alice)
        rewritten = {"id": f"{alice}/follows/9", "type": "Follow", "actor": sami.uri,
                     "object": alice}  # fmt: skip
        # When bob accepts a Follow of sami's that names another id
        await deliver(world, bob, activity("Accept", bob, {**rewritten, "object": bob}, 1))
        # Then sami's Follow of alice still waits
        assert (await row(world, Follow, pending.uri)).state == PENDING
        # When alice does
        await deliver(world, alice, activity("Accept", alice, rewritten, 1))
        # Then it is accepted, and lina's Follow of alice still waits
        assert (await row(world, Follow, pending.uri)).state == ACCEPTED
        assert (await row(world, Follow, linas.uri)).state == PENDING


async def test_a_reject_of_our_residents_signature_takes_it_back_with_the_reason(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        assemblee = world["mobilizon.test"].add_actor("assemblee", kind="Group")
        await deliver(world, assemblee, activity("Create", assemblee, petition(assemblee, 3), 1))
        # Given sami's signature on the petition of another quartier
        sami = await resident(world, "sami")
        async with world.instance.database.transaction() as session:
            remote = await session.scalar(select(Petition))
            person = await session.get(Actor, sami.id)
            assert remote is not None and person is not None
            signature = await sign(session, world.instance.uris, person, remote)
        assert signature.vote_uri is not None
        refusal = {**activity("Reject", assemblee, signature.vote_uri, 2),
                   "content": "Réservée aux habitant·e·s"}  # fmt: skip
        # When its server accepts it, or rejects a vote we never sent, nothing changes
        await deliver(world, assemblee, activity("Accept", assemblee, signature.vote_uri, 3),
                      activity("Reject", assemblee, f"{sami.uri}/votes/404", 4))  # fmt: skip
        assert (await taken_back(world, signature)) is None
        # When it rejects it, saying why
        await deliver(world, assemblee, refusal)
        # Then it is taken back here too, with the reason
        assert await taken_back(world, signature) == "Réservée aux habitant·e·s"


async def test_the_answer_to_our_residents_response_is_recorded_embedded_or_by_id(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        verger = world["mastodon.test"].add_actor("verger")
        await deliver(world, verger, activity("Create", verger, apples(verger), 1))
        # Given nadia's and omar's answers to its offer of apples
        answers = []
        for name in ("nadia", "omar"):
            person = await resident(world, name)
            async with world.instance.database.transaction() as session:
                offer = await session.scalar(select(Offer))
                assert offer is not None
                answers.append(await respond(session, world.instance.uris, person, offer,
                                             quantity=4.0, message="Pour une tarte"))  # fmt: skip
        nadias, omars = (answer.uri for answer in answers)
        # When the author accepts, embedded, something that is no Offer under nadia's id
        await deliver(world, verger, activity("Accept", verger, {"id": nadias, "type": "Note"}, 2))
        assert (await row(world, OfferResponse, nadias)).state == UNANSWERED
        # When it accepts nadia's, embedded as sent, and declines omar's by its id, saying why
        accept = {**activity("Accept", verger, {"id": nadias, "type": "Offer"}, 3),
                  "pickupCode": "K7Q2"}  # fmt: skip
        reject = {**activity("Reject", verger, omars, 4), "content": "Plus de pommes"}
        await deliver(world, verger, accept, reject)
        # Then both are recorded
        accepted = await row(world, OfferResponse, nadias)
        assert (accepted.state, accepted.pickup_code) == (TAKEN, "K7Q2")
        declined = await row(world, OfferResponse, omars)
        assert (declined.state, declined.reason) == (REJECTED, "Plus de pommes")


async def test_an_accept_or_reject_of_nothing_of_ours_is_ignored(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice, bob = mastodon.add_actor("alice"), mastodon.add_actor("bob")
        sami, [pending] = await follows(world, "sami", alice)
        # When alice accepts and rejects ids we never sent, a Follow of bob's (not ours) and an
        # Offer without id; and bob rejects a Join of sami's that we never sent
        bobs = {"id": f"{bob}/follows/1", "type": "Follow", "actor": bob, "object": alice}
        join = {"id": f"{sami.uri}/joins/1", "type": "Join", "actor": sami.uri}
        await deliver(
            world,
            alice,
            activity("Accept", alice, f"{alice}/follows/404", 1),
            activity("Reject", alice, f"{alice}/follows/405", 2),
            activity("Accept", alice, bobs, 3),
            activity("Accept", alice, {"type": "Offer", "actor": alice}, 4),
        )
        await deliver(world, bob, activity("Reject", bob, join, 1))
        # And alice, whom sami follows, rejects that Join of sami's we never sent
        await deliver(world, alice, activity("Reject", alice, join, 5))
        # Then every item is done (checked by deliver) and sami's Follow still waits: an
        # answer to something else is not taken for an answer to his Follow
        assert len(await world.inbox_items()) == 6
        assert (await row(world, Follow, pending.uri)).state == PENDING
        assert await world.count(Follow) == 1
        assert ignored() == ["no Join or Follow of ours is answered"] * 6
