"""The batch's fast path for plain Create(Note)s: what it keeps is what the reference keeps,
each post once, and whatever it must not or cannot take goes the reference's way."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError

import inbox.plain_notes
from commons.posts.received_batch import Outcome, ReceivedPost, receive_posts
from federation.parsing import parse_activity, parse_object
from federation.vocab import PUBLIC
from inbox.context import InboxContext
from inbox.dispatch import dispatch
from inbox.fetches import Fetched
from storage.database import Database
from storage.models import (
    Actor,
    Event,
    Host,
    InboxItem,
    Media,
    Notification,
    Offer,
    Petition,
    Poll,
    Post,
    PostMention,
    PostRecipient,
    PostTag,
    utcnow,
)
from storage.models.queue import DONE, QUEUED
from tests.inbox.fediverse import Fediverse, activity, fediverse, in_days, note, resident

HOSTS = ("mastodon.test", "mobilizon.test", "jonction.test")


@contextmanager
def inserts_into(database: Database, table: str) -> Iterator[list[str]]:
    """The INSERT statements into ``table`` the database runs meanwhile."""
    seen: list[str] = []
    prefix = f"INSERT INTO {table.upper()}"

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(prefix):
            seen.append(statement)

    engine = database.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def receive_all(world: Fediverse, received: Sequence[tuple[str, dict[str, Any]]]) -> None:
    for sender, document in received:
        assert (await world.post_as(sender, document)).status_code == 202


async def ready_items(
    world: Fediverse, items: Sequence[tuple[str, dict[str, Any]]]
) -> list[tuple[InboxContext, Fetched]]:
    """Each ``(sender, activity)`` as the worker hands it to a batch: nothing fetched."""
    contexts = []
    for sender_uri, document in items:
        sender = await world.actor(sender_uri)
        assert sender is not None
        contexts.append((InboxContext(world.instance, parse_activity(document), sender, None),
                         Fetched()))  # fmt: skip
    return contexts


async def rows_of(world: Fediverse, uri: str) -> dict[str, Any]:
    """What is kept of one post, its ids left out, comparable between two posts."""
    async with world.instance.database.session() as session:
        post = await session.scalar(select(Post).where(Post.uri == uri))
        assert post is not None, uri
        columns = {c.key: getattr(post, c.key) for c in Post.__table__.columns if c.key != "id"}
        tags = await session.scalars(select(PostTag.tag).where(PostTag.post_id == post.id))
        media = await session.execute(
            select(Media.owner_id, Media.content_type, Media.size, Media.alt_text,
                   Media.remote_url).where(Media.post_id == post.id).order_by(Media.id)
        )  # fmt: skip
        mentions = await session.scalars(
            select(PostMention.actor_id).where(PostMention.post_id == post.id)
        )
        readers = await session.scalars(
            select(PostRecipient.actor_id).where(PostRecipient.post_id == post.id)
        )
        return {
            "post": columns,
            "tags": sorted(tags),
            "media": [tuple(row) for row in media],
            "mentions": sorted(mentions),
            "readers": sorted(readers),
        }


def varied_notes(world: Fediverse, number: int) -> list[tuple[str, dict[str, Any]]]:
    """One Create per sender, each note with something else to keep; ids end in ``number``."""
    mastodon, mobilizon, jonction = (world[host] for host in HOSTS)
    alice, bob, carol = (mastodon.add_actor(name) for name in ("alice", "bob", "carol"))
    zoe = mobilizon.add_actor("zoe")
    club = mobilizon.add_actor("club", "Group")
    paul = jonction.add_actor("paul", groupKind="project")  # one of ours: a neighbour
    published = "2026-11-30T10:00:00Z"

    def create(author: str, **changes: Any) -> tuple[str, dict[str, Any]]:
        document = note(author, number, published=published, **changes)
        return author, activity("Create", author, document, number)

    return [
        create(
            alice,
            content="<p>Troc de graines #Troc #graines</p>",
            tag=[
                {"type": "Hashtag", "name": "#Troc"},
                {"type": "Hashtag", "name": "#graines"},
                {"type": "Mention", "href": bob},
            ],
            attachment=[
                {
                    "type": "Document",
                    "mediaType": "image/jpeg",
                    "name": "Des graines",
                    "url": "https://mastodon.test/media/graines.jpg",
                }
            ],
            cc=[f"{alice}/followers", bob],
        ),
        create(
            bob,
            type="Article",
            name="Le marché",
            url="https://mastodon.test/@bob/1",
            content="<p>Samedi<script>x()</script></p>",
            sensitive=True,
            summary="Long",
        ),
        create(carol, content=None, contentMap={"en": "<p>Hello</p>"}, to=[f"{carol}/followers"]),
        create(zoe, to=[PUBLIC], cc=[club], audience=club, inReplyTo=f"{alice}/statuses/0"),
        create(paul, content="<p>Des nouvelles de la Jonction</p>"),
    ]


async def test_the_fast_path_keeps_what_the_reference_keeps(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS, per_origin_concurrency=16) as world:
        # Given notes with hashtags, an attachment, a mention, an article, a content map, a
        # remote collective's audience, and a neighbour's note; the collective is known
        batched = varied_notes(world, 1)
        reference = varied_notes(world, 2)
        club = await world.instance.remote_actors.actor("http://mobilizon.test/users/club")
        assert club is not None
        await receive_all(world, [*batched, *reference])
        async with world.instance.database.transaction() as session:
            await session.execute(InboxItem.__table__.delete())
        # When one copy of each arrives as one batch of the worker
        await receive_all(world, batched)
        with inserts_into(world.instance.database, "posts") as inserts:
            assert await world.handle() == len(batched)
        # Then it took the fast path: the five posts in one statement
        assert len(inserts) == 1
        assert await world.count(Host, Host.host == "jonction.test", Host.is_neighbour) == 1
        # When the other copy is applied one by one, as the reference does
        async with world.instance.database.transaction() as session:
            await session.execute(InboxItem.__table__.delete())
        for sender_uri, document in reference:
            sender = await world.actor(sender_uri)
            assert sender is not None
            await dispatch(InboxContext(world.instance, parse_activity(document), sender, None))
        # Then each post was kept the same way, row for row
        for (_s, first), (_r, second) in zip(batched, reference, strict=True):
            kept = await rows_of(world, first["object"]["id"])
            expected = await rows_of(world, second["object"]["id"])
            as_first = json.dumps(expected, default=str).replace("/statuses/2", "/statuses/1")
            assert json.dumps(kept, default=str) == as_first
        kept = await rows_of(world, batched[0][1]["object"]["id"])
        assert kept["tags"] == ["graines", "troc"] and len(kept["media"]) == 1
        assert len(kept["mentions"]) == 1
        audience = (await rows_of(world, batched[3][1]["object"]["id"]))["post"]["audience_id"]
        assert audience == club.id


async def test_a_batch_keeps_each_good_note_once_and_refuses_the_bad_ones_as_alone(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS, per_origin_concurrency=16) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        alice, bob, carol, dave, mallory = (
            mastodon.add_actor(name) for name in ("alice", "bob", "carol", "dave", "mallory")
        )
        zoe, yann = mobilizon.add_actor("zoe"), mobilizon.add_actor("yann")
        # Given a note of carol's already kept
        known = note(carol, 1, "Déjà là")
        await receive_all(world, [(carol, activity("Create", carol, known, 1))])
        assert await world.handle() == 1
        # And, received together: two good notes; mallory's copy of alice's note claiming to
        # be hers (same server, after alice's); carol's note again, under another activity id;
        # a note dave says is alice's; zoe's note with an id on another server; an object
        # without id; and an activity of a sender nobody can resolve, stored as received
        good = note(alice, 1, "Bonjour")
        await receive_all(
            world,
            [
                (alice, activity("Create", alice, good, 1)),
                (bob, activity("Create", bob, note(bob, 1), 1)),
                (mallory, activity("Create", mallory, {**note(mallory, 1), "id": good["id"]}, 1)),
                (carol, activity("Create", carol, known, 2)),
                (dave, activity("Create", dave, note(alice, 7), 1)),
                (zoe, activity("Create", zoe, note(zoe, 1, id=f"{alice}/statuses/8"), 1)),
                (yann, activity("Create", yann, {"type": "Note", "content": "?"}, 1)),
            ],
        )
        ghost = "http://mastodon.test/users/ghost"
        async with world.instance.database.transaction() as session:
            payload = activity("Create", ghost, note(ghost, 1), 1)
            session.add(InboxItem(activity_uri=payload["id"], actor_uri=ghost,
                                  activity_type="Create", payload=json.dumps(payload),
                                  state=QUEUED, next_attempt_at=utcnow()))  # fmt: skip
        # When the worker handles them
        with inserts_into(world.instance.database, "posts") as inserts:
            assert await world.handle() == 8
        # Then the two new posts were kept together, in one statement, each once, alice's
        # by alice; carol's is still there once; nothing of the refused ones is kept
        assert len(inserts) == 1
        kept = {post.uri: post for post in [await world.post(uri) for uri in
                (good["id"], f"{bob}/statuses/1", known["id"])] if post is not None}  # fmt: skip
        assert len(kept) == 3 and await world.count(Post) == 3
        alice_actor = await world.actor(alice)
        assert alice_actor is not None and kept[good["id"]].actor_id == alice_actor.id
        # And every item is done as the reference leaves it, the unresolvable one to be retried
        items = {item.actor_uri: item for item in await world.inbox_items()}
        assert {uri: item.state for uri, item in items.items() if uri != ghost} == {
            uri: DONE for uri in (alice, bob, carol, dave, mallory, zoe, yann)
        }
        assert items[ghost].state == QUEUED and items[ghost].attempts == 1
        assert "cannot be resolved" in (items[ghost].last_error or "")
        assert all(item.last_error is None for uri, item in items.items() if uri != ghost)


async def test_notes_that_tell_someone_here_go_the_reference_way_and_tell_them(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS, per_origin_concurrency=16) as world:
        mastodon = world["mastodon.test"]
        alice, bob, carol, dave = (mastodon.add_actor(n) for n in ("alice", "bob", "carol", "dave"))
        # Given a resident and one of her posts
        jeanne = await resident(world, "jeanne")
        ours = f"http://paquis.test/posts/{jeanne.id}"
        async with world.instance.database.transaction() as session:
            session.add(Post(uri=ours, actor_id=jeanne.id, is_local=True, url=ours,
                             content_html="<p>Qui a une échelle ?</p>"))  # fmt: skip
        # When, in one batch, alice mentions her, bob answers her post, carol writes to her by
        # name (no mention), and dave writes to everyone
        mention = {"type": "Mention", "href": jeanne.uri, "name": "@jeanne@paquis.test"}
        await receive_all(
            world,
            [
                (
                    alice,
                    activity("Create", alice, note(alice, 1, tag=[mention], cc=[jeanne.uri]), 1),
                ),
                (bob, activity("Create", bob, note(bob, 1, inReplyTo=ours), 1)),
                (carol, activity("Create", carol, note(carol, 1, to=[jeanne.uri]), 1)),
                (dave, activity("Create", dave, note(dave, 1), 1)),
            ],
        )
        with inserts_into(world.instance.database, "posts") as inserts:
            assert await world.handle() == 4
        # Then she is told of the mention and of the reply, once each, and of nothing else
        async with world.instance.database.session() as session:
            told = (await session.execute(
                select(Notification.kind, Post.uri).join(Post, Post.id == Notification.post_id)
                .where(Notification.recipient_id == jeanne.id)
            )).all()  # fmt: skip
        assert sorted(told) == [("mention", f"{alice}/statuses/1"), ("reply", f"{bob}/statuses/1")]
        # And the two that tell nobody were kept together, the two others one by one
        assert len(inserts) == 3
        assert (await rows_of(world, f"{carol}/statuses/1"))["readers"] == [jeanne.id]
        assert (await rows_of(world, f"{alice}/statuses/1"))["readers"] == [jeanne.id]
        assert (await rows_of(world, f"{alice}/statuses/1"))["mentions"] == [jeanne.id]


async def test_when_the_fast_path_fails_its_notes_are_kept_one_by_one(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    async with fediverse(tmp_path, database_kind, HOSTS, per_origin_concurrency=16) as world:
        mastodon = world["mastodon.test"]
        senders = [mastodon.add_actor(name) for name in ("alice", "bob", "carol")]

        # Given a fast path that fails once it has written its posts
        async def failing(*args: Any, **kwargs: Any) -> list[Outcome]:
            await receive_posts(*args, **kwargs)
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(inbox.plain_notes, "receive_posts", failing)
        # When three notes arrive as one batch
        await receive_all(world, [(s, activity("Create", s, note(s, 1), 1)) for s in senders])
        with caplog.at_level(logging.WARNING, logger="inbox.plain_notes"):
            assert await world.handle() == 3
        # Then its writes were undone and each note was kept by the reference, once
        assert any("one by one" in message for message in caplog.messages)
        assert await world.count(Post) == 3
        assert [item.state for item in await world.inbox_items()] == [DONE, DONE, DONE]


async def test_a_post_twice_in_one_call_is_kept_once_and_one_repeating_a_declined_is_declined(
    database: Database,
) -> None:
    # Given a resident, and two remote authors
    def person(uri: str, is_local: bool) -> Actor:
        host, name = uri.split("/")[2], uri.rsplit("/", 1)[1]
        return Actor(uri=uri, type="Person", username=name, domain=host, is_local=is_local,
                     inbox_uri=f"{uri}/inbox", public_key_id=f"{uri}#main-key",
                     public_key_pem="")  # fmt: skip

    async with database.transaction() as session:
        session.add_all(
            [
                person("http://paquis.test/users/jeanne", True),
                person("http://mastodon.test/users/alice", False),
                person("http://mastodon.test/users/bob", False),
            ]
        )
    async with database.transaction() as session:
        actors = {a.username: a for a in await session.scalars(select(Actor))}

        def received(author: str, number: int, **changes: Any) -> ReceivedPost:
            uri = f"http://mastodon.test/users/{author}"
            return ReceivedPost(parse_object(note(uri, number, **changes)), actors[author])

        mention = [{"type": "Mention", "href": "http://paquis.test/users/jeanne"}]
        # When one call is given a post twice, and a post mentioning her twice
        outcomes = await receive_posts(
            session,
            [received("alice", 1), received("bob", 1, tag=mention), received("alice", 1),
             received("bob", 1, tag=mention)],
        )  # fmt: skip
    # Then the first is kept once; the one that tells her is left to the reference, twice
    assert outcomes == [Outcome.KEPT, Outcome.DECLINED, Outcome.KNOWN, Outcome.DECLINED]
    async with database.session() as session:
        kept = list(await session.scalars(select(Post.uri)))
    assert kept == ["http://mastodon.test/users/alice/statuses/1"]


async def test_a_senders_items_take_the_fast_path_only_until_its_first_that_is_not_plain(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS) as world:
        mastodon = world["mastodon.test"]
        alice, bob, carol = (mastodon.add_actor(name) for name in ("alice", "bob", "carol"))
        await receive_all(
            world, [(s, activity("Create", s, note(s, 0), 0)) for s in (alice, bob, carol)]
        )
        assert await world.handle() == 3
        # Given a batch where alice changes a post before creating another, bob posts twice,
        # and carol posts, changes a post, then posts again
        changed = activity("Update", alice, note(alice, 0, "Corrigé"), 1)
        carol_changed = activity("Update", carol, note(carol, 0, "Corrigé"), 2)
        items = [(alice, changed), (alice, activity("Create", alice, note(alice, 1), 2)),
                 (bob, activity("Create", bob, note(bob, 1), 1)),
                 (carol, activity("Create", carol, note(carol, 1), 1)),
                 (bob, activity("Create", bob, note(bob, 2), 2)),
                 (carol, carol_changed),
                 (carol, activity("Create", carol, note(carol, 3), 3))]  # fmt: skip
        contexts = await ready_items(world, items)
        # When the fast path is offered the batch
        async with world.instance.database.transaction() as session:
            left = await inbox.plain_notes.apply_plain_creates(session, contexts)
        # Then alice's Create waits behind her Update, and carol's last note behind hers, one
        # by one; bob's two notes and carol's first are kept
        assert left == [0, 1, 5, 6]
        assert await world.post(f"{alice}/statuses/1") is None
        assert await world.post(f"{bob}/statuses/1") is not None
        assert await world.post(f"{bob}/statuses/2") is not None
        assert await world.post(f"{carol}/statuses/1") is not None
        assert await world.post(f"{carol}/statuses/3") is None


async def test_a_batch_commits_its_items_outcomes_with_what_they_changed(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS) as world:
        mastodon = world["mastodon.test"]
        senders = [mastodon.add_actor(name) for name in ("alice", "bob", "carol")]
        await receive_all(world, [(s, activity("Create", s, note(s, 1), 1)) for s in senders])
        transactions: list[list[str]] = []

        def begin(_connection: object) -> None:
            transactions.append([])

        def execute(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if transactions:
                transactions[-1].append(" ".join(statement.split())[:40])

        engine = world.instance.database.write_engine.sync_engine
        event.listen(engine, "begin", begin)
        event.listen(engine, "before_cursor_execute", execute)
        # When the worker handles three notes
        try:
            assert await world.handle() == 3
        finally:
            event.remove(engine, "begin", begin)
            event.remove(engine, "before_cursor_execute", execute)
        # Then the posts and the items' outcomes were written in one transaction, no other
        outcomes = [t for t in transactions if any("UPDATE inbox_items SET state" in s for s in t)]
        assert len(outcomes) == 1
        assert any(statement.startswith("INSERT INTO posts") for statement in outcomes[0])
        assert [item.state for item in await world.inbox_items()] == [DONE, DONE, DONE]
        assert all(item.processed_at is not None for item in await world.inbox_items())
        assert await world.count(Post) == 3


async def test_when_the_senders_of_a_claim_cannot_be_read_together_each_item_reads_its_own(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS) as world:
        mastodon = world["mastodon.test"]
        senders = [mastodon.add_actor(name) for name in ("alice", "bob")]
        await receive_all(world, [(s, activity("Create", s, note(s, 1), 1)) for s in senders])

        # Given a database that fails the one read of a claim's senders
        async def failing(uris: object) -> dict[str, Actor]:
            raise SQLAlchemyError("connection reset")

        monkeypatch.setattr(world.instance.remote_actors, "stored_actors", failing)
        # When the worker handles the two notes
        assert await world.handle() == 2
        # Then each was applied all the same, none left claimed
        items = await world.inbox_items()
        assert [item.state for item in items] == [DONE, DONE]
        assert [item.claim_token for item in items] == [None, None]
        assert await world.count(Post) == 2


async def test_answers_to_our_events_and_offers_leave_the_fast_path_and_others_stay_on_it(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS) as world:
        mastodon = world["mastodon.test"]
        names = ("alice", "bob", "carol", "dave", "eve", "fred")
        alice, bob, carol, dave, eve, fred = (mastodon.add_actor(name) for name in names)
        senders = (alice, bob, carol, dave, eve, fred)
        await receive_all(world, [(s, activity("Create", s, note(s, 0), 0)) for s in senders])
        assert await world.handle() == 6
        # Given an event and an offer of a resident, an event she deleted, a remote event and a
        # remote offer
        jeanne = await resident(world, "jeanne")
        event = "http://paquis.test/events/1"
        offer = "http://paquis.test/offers/1"
        gone = "http://paquis.test/events/2"
        elsewhere = "http://mobilizon.test/events/9"
        offered_elsewhere = "http://mobilizon.test/offers/9"
        async with world.instance.database.transaction() as session:
            for uri, deleted, local in ((event, None, True), (gone, utcnow(), True),
                                        (elsewhere, None, False)):  # fmt: skip
                session.add(Event(uri=uri, actor_id=jeanne.id, is_local=local, title="Troc",
                                  start_time=utcnow(), deleted_at=deleted))  # fmt: skip
            session.add(Offer(uri=offer, actor_id=jeanne.id, is_local=True, kind="lending",
                              title="Une échelle"))  # fmt: skip
            session.add(Offer(uri=offered_elsewhere, actor_id=jeanne.id, is_local=False,
                              kind="lending", title="Un vélo"))  # fmt: skip
        # And a batch where alice writes to everyone and the others each answer one of them
        items = [(alice, activity("Create", alice, note(alice, 1), 1)),
                 (bob, activity("Create", bob, note(bob, 1, inReplyTo=event), 1)),
                 (carol, activity("Create", carol, note(carol, 1, inReplyTo=offer), 1)),
                 (dave, activity("Create", dave, note(dave, 1, inReplyTo=gone), 1)),
                 (eve, activity("Create", eve, note(eve, 1, inReplyTo=elsewhere), 1)),
                 (fred, activity("Create", fred, note(fred, 1, inReplyTo=offered_elsewhere),
                                 1))]  # fmt: skip
        contexts = await ready_items(world, items)
        # When the fast path is offered the batch
        async with world.instance.database.transaction() as session:
            left = await inbox.plain_notes.apply_plain_creates(session, contexts)
        # Then the answers to our events (a deleted one too) and to the offer are left to the
        # reference, which tells their author; alice's note and the answers to a remote event
        # and a remote offer are kept
        assert left == [1, 2, 3]
        for kept in (alice, eve, fred):
            assert await world.post(f"{kept}/statuses/1") is not None
        for left_out in (bob, carol, dave):
            assert await world.post(f"{left_out}/statuses/1") is None


async def test_a_petition_or_a_poll_among_a_senders_notes_is_kept_as_such_not_as_a_post(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        club = world["mastodon.test"].add_actor("club", "Group")
        question = {"type": "Question", "attributedTo": club, "endTime": in_days(30),
                    "to": [PUBLIC], "oneOf": [{"type": "Note", "name": "Oui"}]}  # fmt: skip
        petition = {**question, "id": f"{club}/petitions/1", "name": "Des bancs",
                    "signatureGoal": 100, "petitionStatus": "collecting", "votersCount": 3}  # fmt: skip
        poll = {**question, "id": f"{club}/polls/1", "name": "Quel soir ?",
                "whoMayVote": "anyone", "votersCount": 2}  # fmt: skip
        # Given a collective's note, its petition, its poll and another note, received together
        await receive_all(
            world,
            [
                (club, activity("Create", club, note(club, 1), 1)),
                (club, activity("Create", club, petition, 2)),
                (club, activity("Create", club, poll, 3)),
                (club, activity("Create", club, note(club, 2), 4)),
            ],
        )
        # When the worker handles them as one batch
        assert await world.handle() == 4
        # Then the petition and the poll are kept as such, and only the notes as posts
        assert await world.count(Petition, Petition.uri == petition["id"]) == 1
        assert await world.count(Poll, Poll.uri == poll["id"]) == 1
        assert await world.count(Post) == 2
