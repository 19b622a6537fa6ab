"""What a received ``Announce`` is about: a post we hold (the boost is counted against it), a
remote note its server serves (kept with its author and collective), something we cannot have
(nothing written), an event, offer or petition we keep (nothing new), or a collective's
redistribution of a ``Create`` (honoured from collectives only)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from storage.models import Actor, Event, Offer, Petition, Post, Reaction
from storage.models.base import utcnow
from storage.models.posts import ANNOUNCE
from tests.inbox.conftest import Ignored
from tests.inbox.fediverse import Fediverse, activity, deliver, fediverse, note, resident


async def boosted(world: Fediverse, booster: str) -> list[tuple[str, int]]:
    """The boosts ``booster`` made here: each boost's id and the id of the post it counts for."""
    async with world.instance.database.session() as session:
        rows = await session.execute(
            select(Reaction.uri, Reaction.post_id)
            .join(Actor, Actor.id == Reaction.actor_id)
            .where(Reaction.kind == ANNOUNCE, Actor.uri == booster)
            .order_by(Reaction.id)
        )
        return [(uri, post_id) for uri, post_id in rows.all()]


async def post_id(world: Fediverse, uri: str) -> int:
    post = await world.post(uri)
    assert post is not None
    return post.id


async def test_a_boost_of_a_post_we_hold_is_counted_against_that_post(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice, bob = mastodon.add_actor("alice"), mastodon.add_actor("bob")
        # Given two posts of a resident, and a post of alice we already keep
        jeanne = await resident(world, "jeanne")
        first, second = (f"http://paquis.test/posts/{n}" for n in (1, 2))
        async with world.instance.database.transaction() as session:
            for uri in (first, second):
                session.add(Post(uri=uri, actor_id=jeanne.id, is_local=True, url=uri,
                                 content_html="<p>Qui a une échelle ?</p>"))  # fmt: skip
        kept = note(alice, 1, "Vide-grenier dimanche")
        await deliver(world, alice, activity("Create", alice, kept, 1))
        mastodon.fetched.clear()

        # When bob boosts jeanne's second post, then alice's post, naming each by its id
        shares = [activity("Announce", bob, second, 1), activity("Announce", bob, kept["id"], 2)]
        await deliver(world, bob, *shares)

        # Then each boost is counted against the very post it names, and nothing else
        assert await boosted(world, bob) == [
            (shares[0]["id"], await post_id(world, second)),
            (shares[1]["id"], await post_id(world, kept["id"])),
        ]
        # And neither post was read again from a server, nor copied
        assert [path for path in mastodon.fetched if "/statuses/" in path] == []
        assert await world.count(Post) == 3


async def test_a_boost_of_a_remote_note_we_lack_keeps_it_with_its_author_and_collective(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        bob = mastodon.add_actor("bob")
        nadia = mobilizon.add_actor("nadia")
        velo = mobilizon.add_actor("velo", kind="Group")
        # Given two posts of nadia that her server serves and we do not have: one written
        # to her collective, one to everyone (and to bob)
        grouped = mobilizon.serve(
            note(nadia, 1, "Atelier vélo", to=[velo]), at=f"{nadia}/statuses/1"
        )
        plain = mobilizon.serve(note(nadia, 2, "Bonjour", cc=[bob]), at=f"{nadia}/statuses/2")

        # When the collective boosts the first and bob the second, each by its id
        by_velo = activity("Announce", velo, grouped, 1)
        by_bob = activity("Announce", bob, plain, 1)
        await deliver(world, velo, by_velo)
        await deliver(world, bob, by_bob)

        # Then each post is kept as its server serves it, under nadia
        author = await world.actor(nadia)
        collective = await world.actor(velo)
        assert author is not None and collective is not None
        first, second = await world.post(grouped), await world.post(plain)
        assert first is not None and second is not None
        assert (first.actor_id, second.actor_id) == (author.id, author.id)
        assert "Atelier vélo" in first.content_html and "Bonjour" in second.content_html
        # And the one written to the collective belongs to it; the other to no collective,
        # though written to bob, who boosted it: a person is nobody's audience
        assert (first.audience_id, second.audience_id) == (collective.id, None)
        # And each boost is counted against the post kept
        assert await boosted(world, velo) == [(by_velo["id"], first.id)]
        assert await boosted(world, bob) == [(by_bob["id"], second.id)]


async def test_a_collectives_boost_of_a_post_not_written_to_it_does_not_make_it_its_own(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mobilizon = world["mobilizon.test"]
        nadia = mobilizon.add_actor("nadia")
        velo = mobilizon.add_actor("velo", kind="Group")
        # Given a post of nadia's to everyone, not to her collective
        plain = mobilizon.serve(note(nadia, 1, "Bonjour"), at=f"{nadia}/statuses/1")
        # When the collective boosts it
        await deliver(world, velo, activity("Announce", velo, plain, 1))
        # Then it is kept under nadia, and belongs to no collective
        kept = await world.post(plain)
        assert kept is not None and kept.audience_id is None


async def test_a_boost_of_what_its_server_does_not_serve_writes_nothing(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        bob = mastodon.add_actor("bob")
        nadia = mobilizon.add_actor("nadia")
        # Given a post of nadia her server answers 404 for
        missing = mobilizon.serve(404, at=f"{nadia}/statuses/1")

        # When bob boosts it (deliver: the item is done, without error)
        await deliver(world, bob, activity("Announce", bob, missing, 1))

        # Then it was asked for, and nothing was written
        assert "/users/nadia/statuses/1" in mobilizon.fetched
        assert await world.count(Post) == 0
        assert await world.count(Reaction) == 0
        assert ignored() == ["a boosted object we cannot have"]


async def test_a_boost_of_an_event_offer_or_petition_we_keep_writes_nothing_new(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        bob = mastodon.add_actor("bob")
        # Given an event, an offer and a petition of a resident
        jeanne = await resident(world, "jeanne")
        event, offer, petition = (f"http://paquis.test/{kind}/1"
                                  for kind in ("events", "offers", "petitions"))  # fmt: skip
        async with world.instance.database.transaction() as session:
            session.add(Event(uri=event, actor_id=jeanne.id, is_local=True, title="Troc",
                              start_time=utcnow() + timedelta(days=3)))  # fmt: skip
            session.add(Offer(uri=offer, actor_id=jeanne.id, is_local=True, kind="lending",
                              title="Une échelle"))  # fmt: skip
            session.add(Petition(uri=petition, actor_id=jeanne.id, is_local=True,
                                 title="Des bancs", deadline=utcnow() + timedelta(days=30)))  # fmt: skip

        # When bob boosts each of them by its id
        await deliver(world, bob, *(activity("Announce", bob, uri, n)
                                    for n, uri in enumerate((event, offer, petition))))  # fmt: skip

        # Then no boost is counted, and nothing is kept twice
        assert await boosted(world, bob) == []
        assert await world.count(Reaction) == 0
        assert await world.count(Post) == 0
        assert (await world.count(Event), await world.count(Offer)) == (1, 1)
        assert await world.count(Petition) == 1
        assert ignored() == ["an event, offer or petition we already keep"] * 3

        # When he then boosts a note that its server serves
        nadia = world["mobilizon.test"].add_actor("nadia")
        plain = world["mobilizon.test"].serve(note(nadia, 1), at=f"{nadia}/statuses/1")
        await deliver(world, bob, activity("Announce", bob, plain, 4))
        # Then it is kept and its boost counted: it is none of what we keep
        assert [uri for uri, _post in await boosted(world, bob)] == [f"{bob}/activities/announce-4"]
        assert await world.post(plain) is not None


async def test_an_announced_create_is_kept_under_the_collective_and_ignored_from_a_person(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        mallory = mastodon.add_actor("mallory")
        nadia = mobilizon.add_actor("nadia")
        velo = mobilizon.add_actor("velo", kind="Group")
        # Given two posts of nadia to her collective, served by her server, that we lack
        first = note(nadia, 1, "Atelier vélo samedi", to=[velo])
        second = note(nadia, 2, "Atelier vélo dimanche", to=[velo])
        for document in (first, second):
            mobilizon.serve(document, at=document["id"])

        # When a person announces the Create of the first, and the collective that of the second
        await deliver(world, mallory,
                      activity("Announce", mallory, activity("Create", nadia, first, 1), 1))  # fmt: skip
        await deliver(world, velo,
                      activity("Announce", velo, activity("Create", nadia, second, 2), 1))  # fmt: skip

        # Then only the collective's is kept: under nadia, and belonging to the collective
        assert await world.post(first["id"]) is None
        kept = await world.post(second["id"])
        author, collective = await world.actor(nadia), await world.actor(velo)
        assert kept is not None and author is not None and collective is not None
        assert (kept.actor_id, kept.audience_id) == (author.id, collective.id)
        assert "dimanche" in kept.content_html
        # And a redistribution is no boost: nobody's share is counted
        assert await world.count(Reaction) == 0


async def test_a_boost_of_what_its_server_serves_as_another_servers_or_as_no_post_keeps_nothing(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        bob, nadia = mastodon.add_actor("bob"), mobilizon.add_actor("nadia")
        # Given an address on nadia's server that serves a note of bob's, on bob's server,
        # and one that serves a collection of hers
        posing = mobilizon.serve(note(bob, 1, "Copie"), at=f"{nadia}/statuses/1")
        collection = {"id": f"{nadia}/statuses/2", "type": "OrderedCollection",
                      "attributedTo": nadia, "orderedItems": []}  # fmt: skip
        listed = mobilizon.serve(collection, at=f"{nadia}/statuses/2")

        # When bob boosts each of them
        await deliver(world, bob, activity("Announce", bob, posing, 1),
                      activity("Announce", bob, listed, 2))  # fmt: skip

        # Then both were read, and neither is kept as a post nor counted
        assert [
            path for path in mobilizon.fetched if "/statuses/" in path] == ["/users/nadia/statuses/1", "/users/nadia/statuses/2"]  # fmt: skip
        assert await world.count(Post) == 0 and await world.count(Reaction) == 0
        assert ignored() == ["a boosted object we cannot have"] * 2


async def test_a_boost_of_a_note_on_a_server_that_answers_signed_requests_only_keeps_it(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        bob, nadia = mastodon.add_actor("bob"), mobilizon.add_actor("nadia")
        velo = mobilizon.add_actor("velo", kind="Group")
        # Given nadia's posts, one to her collective, on a server in secure mode
        grouped = note(nadia, 2, "Atelier vélo samedi", to=[velo])
        for document in (note(nadia, 1, "Bonjour"), grouped):
            mobilizon.serve(document, at=document["id"])
        assert await world.instance.remote_actors.actor(velo) is not None
        mobilizon.signed_only = True
        # When bob boosts the first, and her collective announces the Create of the second
        boosted = f"{nadia}/statuses/1"
        await deliver(world, bob, activity("Announce", bob, boosted, 1))
        await deliver(world, velo,
                      activity("Announce", velo, activity("Create", nadia, grouped, 2), 1))  # fmt: skip
        # Then both were read, signed, and kept
        assert await world.post(boosted) is not None
        assert await world.post(grouped["id"]) is not None
