"""A poll of the Pâquis assembly, voted from three quartiers over real signed HTTP: the Question
reaches the followers in the other quartiers; their residents vote from there, once each; the
tally reaches them in one Update, without the answers' counts while the results wait for the
close; the deadline closes it everywhere with the results, and every voter is told in their own
quartier; a vote after it is not counted;
removed, it is gone from every quartier."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from commons.polls.fields import PollFields
from commons.polls.services import delete_poll, hold_poll
from commons.polls.votes import vote
from commons.polls.worker import PollTallies
from config.errors import DomainError
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Notification, Poll, PollOption, utcnow
from storage.models.polls import CLOSED
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote

HOSTS = ("paquis.test", "jonction.test", "servette.test")
ANSWERS = ("Pique-nique au parc", "Bal sur la place", "Vide-grenier")


async def copy_of(node: Node, uri: str) -> tuple[Poll, list[int]]:
    async with node.instance.database.session() as session:
        poll = await session.scalar(select(Poll).where(Poll.uri == uri))
        assert poll is not None
        counts = await session.scalars(
            select(PollOption.votes_count).where(PollOption.poll_id == poll.id)
            .order_by(PollOption.position)
        )  # fmt: skip
        return poll, list(counts)


async def vote_on(node: Node, username: str, uri: str, *positions: int) -> None:
    async with node.instance.database.transaction() as session:
        person = await session.scalar(select(Actor).where(Actor.username == username))
        poll = await session.scalar(select(Poll).where(Poll.uri == uri))
        assert person is not None and poll is not None
        await vote(session, node.instance.uris, person, poll, positions)


async def send_raw_vote(node: Node, username: str, uri: str, name: str, n: int) -> None:
    """A vote as a server that checks nothing would send it."""
    async with node.instance.database.transaction() as session:
        person = await session.scalar(select(Actor).where(Actor.username == username))
        poll = await session.scalar(select(Poll).where(Poll.uri == uri))
        assert person is not None and poll is not None
        author = await session.get(Actor, poll.actor_id)
        assert author is not None
        note = {"id": f"{person.uri}#votes/{n}", "type": "Note", "name": name,
                "attributedTo": person.uri, "to": author.uri, "inReplyTo": poll.uri}  # fmt: skip
        activity = {"@context": "https://www.w3.org/ns/activitystreams",
                    "id": node.instance.uris.new_activity(), "type": "Create",
                    "actor": person.uri, "to": [author.uri], "object": note}  # fmt: skip
        await enqueue_activity(session, person, activity, to_followers=False,
                               inboxes=[author.inbox_uri])  # fmt: skip


async def test_three_quartiers_vote_in_the_assembly_poll_and_its_deadline_closes_it(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction, servette = (rig[host] for host in HOSTS)
        # Given the Pâquis assembly, a resident there, and followers in two other quartiers
        jeanmarc = await paquis.resident("jeanmarc")
        await paquis.resident("nadia")
        assembly = await paquis.collective("assemblee", "jeanmarc", "assembly")
        omar = await jonction.resident("omar")
        ines = await servette.resident("ines")
        await follow_remote(jonction, omar, assembly.uri)
        await follow_remote(servette, ines, assembly.uri)
        await rig.drain()

        # When it asks which party to hold, several answers allowed, results at the close
        uris = paquis.instance.uris
        fields = PollFields(question="Quelle fête de quartier en juin ?", options=ANSWERS,
                            deadline=utcnow() + timedelta(days=5), multiple=True,
                            results_hidden=True)  # fmt: skip
        async with paquis.instance.database.transaction() as session:
            poll = await hold_poll(session, uris, jeanmarc, assembly, fields)
        await rig.drain()

        # Then the other quartiers have it, with its answers
        for node in (jonction, servette):
            copy, counts = await copy_of(node, poll.uri)
            assert not copy.is_local and copy.multiple and copy.results_hidden
            assert counts == [0, 0, 0]

        # When Nadia votes here, Omar and Inès from their quartiers — Omar twice
        await vote_on(paquis, "nadia", poll.uri, 0, 1)
        await vote_on(jonction, "omar", poll.uri, 1)
        await vote_on(servette, "ines", poll.uri, 1, 2)
        with pytest.raises(DomainError) as twice:
            await vote_on(jonction, "omar", poll.uri, 1)
        assert twice.value.code == "already_voted"
        await send_raw_vote(jonction, "omar", poll.uri, ANSWERS[1], 9)  # all the same
        await send_raw_vote(jonction, "omar", poll.uri, "Autre chose", 10)  # not an answer
        await rig.drain()

        # Then each counts once per answer at the Pâquis
        here, counts = await copy_of(paquis, poll.uri)
        assert here.voters_count == 3 and counts == [1, 3, 1]

        # And one Update brings the number of voters, not the answers' counts
        assert (await PollTallies(paquis.instance.database, uris).run_once()).updates == 1
        await rig.drain()
        for node in (jonction, servette):
            copy, counts = await copy_of(node, poll.uri)
            assert copy.voters_count == 3 and counts == [0, 0, 0]

        # When the deadline passes, it closes everywhere, and the results come with it
        after = poll.deadline + timedelta(seconds=1)
        closing = PollTallies(paquis.instance.database, uris, clock=lambda: after)
        assert (await closing.run_once()).closed == 1
        await rig.drain()
        for node in (paquis, jonction, servette):
            copy, counts = await copy_of(node, poll.uri)
            assert copy.status == CLOSED and copy.voters_count == 3 and counts == [1, 3, 1]
        # And each voter is told, in their own quartier, once
        for node, username in ((paquis, "nadia"), (jonction, "omar"), (servette, "ines")):
            async with node.instance.database.session() as session:
                told = list(await session.scalars(
                    select(Notification.kind).join(Actor, Actor.id == Notification.recipient_id)
                    .where(Actor.username == username, Actor.is_local.is_(True))))  # fmt: skip
            assert told == ["poll_closed"], (node, told)

        # And a vote after it is not counted
        await send_raw_vote(servette, "ines", poll.uri, ANSWERS[0], 11)
        await rig.drain()
        assert (await copy_of(paquis, poll.uri))[1] == [1, 3, 1]

        # When the assembly removes it, it is gone from every quartier
        async with paquis.instance.database.transaction() as session:
            row = await session.get(Poll, poll.id)
            person = await session.get(Actor, jeanmarc.id)
            assert row is not None and person is not None
            await delete_poll(session, uris, person, row)
        await rig.drain()
        for node in (jonction, servette):
            assert (await copy_of(node, poll.uri))[0].deleted_at is not None
