"""Votes in our polls through the real inbox, signed by Mastodon-shaped servers: each answer
counts once per voter, a poll of one choice takes one answer from each, and a vote claiming
someone else, an answer the poll does not offer and a vote after the close are dropped; a
Mastodon poll (a Question without our terms) stays a post."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from actors.services import create_account, create_group
from commons.polls.fields import PollFields
from commons.polls.services import close_poll, hold_poll
from storage.models import Actor, Poll, PollOption, Post, utcnow
from tests.inbox.fediverse import Fediverse, fediverse
from tests.inbox.test_plain_notes import receive_all

HOSTS = ("mastodon.test", "mobilizon.test")
ANSWERS = ("Mardi", "Mercredi", "Jeudi")


async def hold(world: Fediverse, name: str, *, multiple: bool) -> Poll:
    instance = world.instance
    async with instance.database.transaction() as session:
        await create_account(session, instance.settings, f"{name}-a", "password123")
        group = await create_group(session, instance.settings, name, "assembly", f"{name}-a")
        person = await session.scalar(select(Actor).where(Actor.username == f"{name}-a"))
        assert person is not None
        fields = PollFields(question="Quel soir ?", options=ANSWERS, multiple=multiple,
                            deadline=utcnow() + timedelta(days=2))  # fmt: skip
        return await hold_poll(session, instance.uris, person, group, fields)


def vote(voter: str, poll: Poll, name: str, n: int, **changes: Any) -> dict[str, Any]:
    note = {"id": f"{voter}#votes/{n}", "type": "Note", "name": name,
            "attributedTo": voter, "inReplyTo": poll.uri}  # fmt: skip
    note.update(changes)
    return {"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
            "id": f"{voter}#votes/{n}/activity", "actor": voter, "object": note}  # fmt: skip


async def tally(world: Fediverse, poll: Poll) -> tuple[int, list[int]]:
    async with world.instance.database.session() as session:
        row = await session.get(Poll, poll.id)
        assert row is not None
        counts = await session.scalars(
            select(PollOption.votes_count).where(PollOption.poll_id == poll.id)
            .order_by(PollOption.position)
        )  # fmt: skip
        return row.voters_count, list(counts)


async def test_signed_votes_count_once_per_voter_and_answer(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS, per_origin_concurrency=16) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        alice, bob = (mastodon.add_actor(name) for name in ("alice", "bob"))
        zoe = mobilizon.add_actor("zoe")
        single = await hold(world, "assemblee", multiple=False)
        several = await hold(world, "jardin", multiple=True)

        # When alice votes twice in the poll of one choice, bob once, and zoe in bob's name
        await receive_all(world, [
            (alice, vote(alice, single, "Mardi", 1)),
            (alice, vote(alice, single, "Jeudi", 2)),
            (bob, vote(bob, single, "Jeudi", 1)),
            (zoe, vote(zoe, single, "Mardi", 1, attributedTo=bob)),
            (zoe, vote(zoe, single, "Dimanche", 2)),
        ])  # fmt: skip
        # And alice chooses two answers in the other poll (one Note each), one of them twice
        await receive_all(world, [
            (alice, vote(alice, several, "Mardi", 3)),
            (alice, vote(alice, several, "Jeudi", 4)),
            (alice, vote(alice, several, "Jeudi", 5)),
            (zoe, vote(zoe, several, "Jeudi", 3)),
        ])  # fmt: skip
        assert await world.handle() == 9

        # Then alice's first answer and bob's count, once each; the rest is dropped
        assert await tally(world, single) == (2, [1, 0, 1])
        assert await tally(world, several) == (2, [1, 0, 2])

        # And once the poll has closed, a vote no longer counts
        async with world.instance.database.transaction() as session:
            row = await session.get(Poll, several.id)
            assert row is not None
            await close_poll(session, world.instance.uris, row)
        await receive_all(world, [(bob, vote(bob, several, "Mercredi", 6))])
        assert await world.handle() == 1
        assert await tally(world, several) == (2, [1, 0, 2])


async def test_a_mastodon_poll_stays_a_post(tmp_path: Path, database_kind: str) -> None:
    async with fediverse(tmp_path, database_kind, HOSTS) as world:
        alice = world["mastodon.test"].add_actor("alice")
        question = {
            "id": f"{alice}/statuses/1", "type": "Question", "attributedTo": alice,
            "content": "<p>Pizza ou raclette ?</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "endTime": (utcnow() + timedelta(days=1)).isoformat(),
            "oneOf": [{"type": "Note", "name": "Pizza", "replies": {"totalItems": 0}},
                      {"type": "Note", "name": "Raclette", "replies": {"totalItems": 0}}],
        }  # fmt: skip
        create = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
                  "id": f"{alice}/statuses/1/activity", "actor": alice, "object": question,
                  "to": question["to"]}  # fmt: skip
        await receive_all(world, [(alice, create)])
        assert await world.handle() == 1
        async with world.instance.database.session() as session:
            assert await session.scalar(select(Post.uri)) == question["id"]
            assert await session.scalar(select(Poll.id)) is None
