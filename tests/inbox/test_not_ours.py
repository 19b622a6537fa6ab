"""The inbox acts only on what is ours and still here. An id that names a row this server keeps
for another server (a remote person, collective, event, petition or proposal), or one of ours
that was deleted or is gone, is no target: nothing is written, and the reason is logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import update

from storage.models import (
    Activity,
    Event,
    Follow,
    Membership,
    Petition,
    Post,
    Proposal,
    ProposalSupport,
    Reaction,
    Rsvp,
    Signature,
    utcnow,
)
from tests.inbox.conftest import Ignored
from tests.inbox.fediverse import Fediverse, activity, deliver, fediverse, resident
from tests.inbox.test_join_targets import gone, ours
from tests.inbox.test_petition_votes import open_petition, vote
from tests.inbox.test_proposal_supports import proposal_of


async def kept_for_another_server(world: Fediverse, model: type[Any], uri: str) -> None:
    """Make a row of ours one this server keeps for another server."""
    async with world.instance.database.transaction() as session:
        await session.execute(update(model).where(model.uri == uri).values(is_local=False))


async def deleted(world: Fediverse, model: type[Any], uri: str) -> None:
    async with world.instance.database.transaction() as session:
        await session.execute(update(model).where(model.uri == uri).values(deleted_at=utcnow()))


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
        alice = world["mastodon.test"].add_actor("alice")

        # When alice likes both
        await deliver(world, alice, activity("Like", alice, post, 1),
                      activity("Like", alice, proposal.uri, 2))  # fmt: skip

        # Then neither is counted
        assert await world.count(Reaction) == 0
        assert await world.count(ProposalSupport) == 0
        assert ignored() == ["unknown post", "unknown post"]


async def test_a_vote_on_a_petition_kept_for_another_server_is_no_signature_here(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given one of our petitions, now kept for another server
        petition = await open_petition(world, "bancs")
        await kept_for_another_server(world, Petition, petition.uri)
        alice = world["mastodon.test"].add_actor("alice")

        # When alice votes on it
        await deliver(world, alice, vote(alice, petition, 1))

        # Then no signature is counted here, and no refusal is sent: it is not ours to answer
        assert await world.count(Signature, Signature.signer_uri == alice) == 0
        assert await world.count(Activity, Activity.type == "Reject") == 0
