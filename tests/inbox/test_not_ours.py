"""The inbox acts only on what is ours and still here. An id that names a row this server keeps
for another server (a remote person, collective, event, petition or proposal), or one of ours
that was deleted or is gone, is no target: nothing is written, and the reason is logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import update

from commons.offers import services as offers
from commons.offers.fields import OfferFields
from commons.proposals.services import propose
from config.uris import Uris
from storage.models import (
    Activity,
    Actor,
    Event,
    Follow,
    Membership,
    Offer,
    Petition,
    Poll,
    Post,
    Proposal,
    ProposalSupport,
    Reaction,
    Rsvp,
    Signature,
    utcnow,
)
from storage.models.offers import PENDING
from tests.inbox.conftest import Ignored
from tests.inbox.fediverse import Fediverse, activity, deliver, fediverse, note, resident
from tests.inbox.test_join_targets import gone, ours
from tests.inbox.test_offer_answers import agreement, karims_jam, kept
from tests.inbox.test_petition_votes import open_petition, vote
from tests.inbox.test_poll_votes import hold, tally
from tests.inbox.test_poll_votes import vote as poll_vote
from tests.inbox.test_proposal_supports import proposal_of


async def kept_for_another_server(world: Fediverse, model: type[Any], uri: str) -> None:
    """Make a row of ours one this server keeps for another server."""
    async with world.instance.database.transaction() as session:
        await session.execute(update(model).where(model.uri == uri).values(is_local=False))


async def deleted(world: Fediverse, model: type[Any], uri: str) -> None:
    async with world.instance.database.transaction() as session:
        await session.execute(update(model).where(model.uri == uri).values(deleted_at=utcnow()))


async def another_offer(world: Fediverse, author: Actor) -> Offer:
    settings = world.instance.settings
    fields = OfferFields(kind="don", title="Des bocaux vides")
    async with world.instance.database.transaction() as session:
        person = await session.get(Actor, author.id)
        assert person is not None
        return await offers.publish_offer(session, Uris(settings.base_url), person, person, fields)


async def another_proposal(world: Fediverse, first: Proposal) -> Proposal:
    """A second proposal, by the same member in the same collective."""
    async with world.instance.database.transaction() as session:
        person = await session.get(Actor, first.author_id)
        collective = await session.get(Actor, first.actor_id)
        assert person is not None and collective is not None
        return await propose(session, world.instance.uris, person, collective, "Un four", "À pain.")


async def test_a_follow_of_a_person_of_another_server_is_not_ours_to_accept(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given alice, known here since she followed one of our residents
        sami = await resident(world, "sami")
        server = world["mastodon.test"]
        alice, bob = server.add_actor("alice"), server.add_actor("bob")
        await deliver(world, alice, activity("Follow", alice, sami.uri, 1))
        assert await world.actor(alice) is not None

        # When bob's Follow of alice reaches us
        await deliver(world, bob, activity("Follow", bob, alice, 1))

        # Then it is ignored: alice is another server's to answer
        assert await world.count(Follow) == 1
        assert ignored() == [f"no actor of ours is {alice}"]


async def test_a_join_of_a_collective_or_event_not_ours_or_no_longer_here_joins_nothing(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given a collective gone, an event kept for another server and an event deleted
        here = await ours(world)
        await gone(world, here.group)
        await kept_for_another_server(world, Event, here.event.uri)
        await deleted(world, Event, here.series.uri)
        alice = world["mastodon.test"].add_actor("alice")
        named = [here.group.uri, here.event.uri, here.series.uri]
        members = await world.count(Membership)

        # When alice asks to join each
        await deliver(
            world, alice, *(activity("Join", alice, uri, n) for n, uri in enumerate(named))
        )

        # Then she joined none of them
        assert await world.count(Rsvp) == 0
        assert await world.count(Membership) == members
        assert ignored() == [f"{uri} is none of our collectives, events or dates" for uri in named]


async def test_a_like_of_a_deleted_post_or_of_another_servers_proposal_counts_nothing(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind, ("mastodon.test",)) as world:
        # Given a post of sami's, deleted, and a proposal kept for another server
        sami = await resident(world, "sami")
        post = "http://paquis.test/posts/1"
        async with world.instance.database.transaction() as session:
            session.add(Post(uri=post, actor_id=sami.id, is_local=True, url=post,
                             content_html="<p>Qui a une échelle ?</p>", deleted_at=utcnow()))  # fmt: skip
        proposal = await proposal_of(world)
        await kept_for_another_server(world, Proposal, proposal.uri)
        live = await another_proposal(world, proposal)
        alice = world["mastodon.test"].add_actor("alice")

        # When alice likes both
        await deliver(world, alice, activity("Like", alice, post, 1),
                      activity("Like", alice, proposal.uri, 2))  # fmt: skip

        # Then neither is counted, nor taken for another proposal
        assert await world.count(Reaction) == 0
        assert await world.count(ProposalSupport) == 0
        assert await world.count(Proposal, Proposal.id == live.id, Proposal.support_count == 0) == 1
        assert ignored() == ["unknown post", "unknown post"]


async def test_votes_on_petitions_kept_for_another_server_are_no_signatures_here(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given two of our petitions, now kept for another server
        petitions = [await open_petition(world, "bancs"), await open_petition(world, "arbres")]
        for petition in petitions:
            await kept_for_another_server(world, Petition, petition.uri)
        alice = world["mastodon.test"].add_actor("alice")

        # When alice votes on the first, then on both at once (votes counted in one batch)
        await deliver(world, alice, vote(alice, petitions[0], 1))
        await deliver(world, alice, vote(alice, petitions[0], 2), vote(alice, petitions[1], 3))

        # Then no signature is counted here, and no refusal is sent: it is not ours to answer
        assert await world.count(Signature, Signature.signer_uri == alice) == 0
        assert await world.count(Activity, Activity.type == "Reject") == 0


async def test_a_direct_reply_to_an_offer_deleted_or_kept_for_another_server_is_no_answer(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given karim's offer, deleted, a second one, kept for another server, and a third
        karim, gone_offer = await karims_jam(world)
        second = await another_offer(world, karim)
        await another_offer(world, karim)
        await deleted(world, Offer, gone_offer.uri)
        await kept_for_another_server(world, Offer, second.uri)
        lea = world["mastodon.test"].add_actor("lea")

        # When Léa answers each by a direct reply, as Mastodon users do
        for n, offer in enumerate((gone_offer, second)):
            direct = note(lea, n, "@karim Un pot pour moi ?", inReplyTo=offer.uri,
                          to=[karim.uri], cc=[], tag=[{"type": "Mention", "href": karim.uri}])  # fmt: skip
            await deliver(world, lea, activity("Create", lea, direct, n))

        # Then neither is an answer to an offer
        assert await kept(world) == []


async def test_a_vote_in_a_poll_kept_for_another_server_is_not_counted_here(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given one of our polls, now kept for another server, and another of ours
        poll = await hold(world, "soirees", multiple=False)
        other = await hold(world, "repas", multiple=False)
        await kept_for_another_server(world, Poll, poll.uri)
        alice = world["mastodon.test"].add_actor("alice")

        # When alice votes in it
        await deliver(world, alice, poll_vote(alice, poll, "Mardi", 1))

        # Then nothing is counted, in either poll
        assert await tally(world, poll) == (0, [0, 0, 0])
        assert await tally(world, other) == (0, [0, 0, 0])


async def test_an_answer_to_our_offer_is_accepted_by_our_resident_not_by_its_sender(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given Léa's answer to karim's offer, kept here and waiting for karim
        _karim, offer = await karims_jam(world)
        lea = world["mastodon.test"].add_actor("lea")
        asked = agreement(lea, offer, 1)
        await deliver(world, lea, asked)

        # When Léa sends an Accept of her own answer
        await deliver(world, lea, activity("Accept", lea, asked["id"], 1))

        # Then it still waits for karim: her answer is none of our residents' to be answered
        [response] = await kept(world)
        assert (response.state, response.quantity) == (PENDING, 2.0)
        assert ignored()[-1:] == ["no Join or Follow of ours is answered"]


async def test_a_vote_on_another_servers_petition_is_no_signature_of_ours(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given one of our petitions, open, and another server's
        ours_open = await open_petition(world, "bancs")
        theirs = Petition(uri="http://mobilizon.test/petitions/9")
        alice = world["mastodon.test"].add_actor("alice")

        # When alice votes on the other server's
        await deliver(world, alice, vote(alice, theirs, 1))

        # Then ours has not her signature
        assert await world.count(Signature, Signature.petition_id == ours_open.id,
                                 Signature.signer_uri == alice) == 0  # fmt: skip
