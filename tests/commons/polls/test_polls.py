"""Polls of collectives: held by a facilitator and published at once; voted once per person and
answer, whichever way the vote comes; results hidden until the end when the assembly chooses;
tallies sent in batches; the deadline closes them and the final tally goes out."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from commons.events.organisers import NotOrganiser
from commons.polls.fields import PollFields
from commons.polls.received import keep_remote_poll
from commons.polls.services import end_poll_early, hold_poll
from commons.polls.votes import receive_vote, vote
from commons.polls.wire import build_poll
from commons.polls.worker import PollTallies
from config.errors import DomainError
from storage.database import Database
from storage.models import Activity, Actor, Delivery, Poll, PollOption, utcnow
from storage.models.polls import CLOSED, OPEN
from tests.commons.event_support import Quartier
from tests.commons.petitions.test_petitions import remote_person

EVENINGS = ("Mardi", "Mercredi", "Jeudi")


def fields(**changes: Any) -> PollFields:
    values: dict[str, Any] = dict(
        question="Quel soir pour la prochaine assemblée ?", options=EVENINGS,
        deadline=utcnow() + timedelta(days=7), text="Nous cherchons **un soir**.",
    )  # fmt: skip
    values.update(changes)
    return PollFields(**values)


async def held(database: Database, q: Quartier, **changes: Any) -> Poll:
    async with database.transaction() as session:
        return await hold_poll(session, q.uris, q.jeanmarc, q.cafe, fields(**changes))


async def tally(database: Database, poll: Poll) -> tuple[int, list[int]]:
    async with database.session() as session:
        row = await session.get(Poll, poll.id)
        assert row is not None
        counts = await session.scalars(
            select(PollOption.votes_count).where(PollOption.poll_id == poll.id)
            .order_by(PollOption.position)
        )  # fmt: skip
        return row.voters_count, list(counts)


def mastodon_vote(voter: Actor, poll: Poll, author: Actor, name: str, n: int = 1) -> dict[str, Any]:
    """A vote exactly as Mastodon sends one (one per answer chosen)."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{voter.uri}#votes/{n}/activity", "type": "Create", "actor": voter.uri,
        "to": author.uri,
        "object": {"id": f"{voter.uri}#votes/{n}", "type": "Note", "name": name,
                   "attributedTo": voter.uri, "to": author.uri, "inReplyTo": poll.uri},
    }  # fmt: skip


async def cast(database: Database, q: Quartier, person: Actor, poll: Poll, *positions: int) -> None:
    async with database.transaction() as session:
        row = await session.get(Poll, poll.id)
        assert row is not None
        await vote(session, q.uris, person, row, positions)


async def test_a_facilitator_holds_a_poll_and_its_followers_receive_the_question(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    # When the café's facilitator asks the question
    poll = await held(database, q)

    # Then the Question goes out at once, with its three answers in oneOf and an endTime
    async with database.session() as session:
        created = await session.scalar(select(Activity).where(Activity.type == "Create",
                                                              Activity.actor_id == q.cafe.id))  # fmt: skip
        assert created is not None
        question = json.loads(created.payload)["object"]
        options = list(
            await session.scalars(select(PollOption).where(PollOption.poll_id == poll.id))
        )
    assert question["type"] == "Question" and question["attributedTo"] == q.cafe.uri
    assert [option["name"] for option in question["oneOf"]] == list(EVENINGS)
    assert "anyOf" not in question and "summary" not in question and question["endTime"]
    assert question["oneOf"][0]["replies"] == {"type": "Collection", "totalItems": 0}
    assert question["votersCount"] == 0 and question["whoMayVote"] == "anyone"
    assert len(options) == 3 and poll.status == OPEN

    # And a resident who facilitates nothing cannot hold one for the café
    async with database.transaction() as session:
        with pytest.raises(NotOrganiser):
            await hold_poll(session, q.uris, q.nadia, q.cafe, fields())


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"question": "  "}, "missing_question"),
        ({"options": ("Oui",)}, "poll_options"),
        ({"options": ("Oui", "oui ")}, "poll_options"),
        ({"options": tuple(str(n) for n in range(11))}, "poll_options"),
        ({"deadline": utcnow() - timedelta(minutes=1)}, "deadline_past"),
        ({"deadline": utcnow() + timedelta(days=400)}, "poll_too_long"),
        ({"may_vote": "everybody"}, "invalid_who_may_vote"),
    ],
)
async def test_a_poll_that_cannot_be_held_is_refused_with_its_reason(
    database: Database, quartier: Quartier, changes: dict[str, Any], code: str
) -> None:
    async with database.transaction() as session:
        with pytest.raises(DomainError) as refused:
            await hold_poll(session, quartier.uris, quartier.jeanmarc, quartier.cafe,
                            fields(**changes))  # fmt: skip
    assert refused.value.code == code


async def test_each_person_votes_once_here_and_from_mastodon(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    poll = await held(database, q)
    lea = await remote_person(database, "mastodon.example")

    # When a resident votes here and a Mastodon user votes "Jeudi"
    await cast(database, q, q.karim, poll, 0)
    async with database.transaction() as session:
        row = await session.get(Poll, poll.id)
        assert row is not None
        await receive_vote(session, row, lea, mastodon_vote(lea, row, q.cafe, "Jeudi"))

    # Then two people voted, one for each answer
    assert await tally(database, poll) == (2, [1, 0, 1])

    # And neither can vote a second time, nor choose two answers in a poll of one choice
    for person, positions, code in ((q.karim, (1,), "already_voted"),
                                    (q.nadia, (0, 1), "one_choice_only"),
                                    (q.nadia, (), "no_choice"),
                                    (q.nadia, (7,), "not_an_option")):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            await cast(database, q, person, poll, *positions)
        assert refused.value.code == code
    async with database.transaction() as session:
        row = await session.get(Poll, poll.id)
        assert row is not None
        for name, code in (("Mardi", "already_voted"), ("Dimanche", "not_an_option")):
            with pytest.raises(DomainError) as refused:
                await receive_vote(session, row, lea, mastodon_vote(lea, row, q.cafe, name, 2))
            assert refused.value.code == code
    assert await tally(database, poll) == (2, [1, 0, 1])


async def test_a_poll_of_several_choices_counts_each_answer_once_and_each_voter_once(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    poll = await held(database, q, multiple=True)
    lea = await remote_person(database, "mastodon.example")

    # When a resident chooses two evenings, and Mastodon sends two votes for one user
    await cast(database, q, q.karim, poll, 0, 2)
    async with database.transaction() as session:
        row = await session.get(Poll, poll.id)
        assert row is not None
        await receive_vote(session, row, lea, mastodon_vote(lea, row, q.cafe, "Mardi", 1))
        await receive_vote(session, row, lea, mastodon_vote(lea, row, q.cafe, "Mercredi", 2))
        document = build_poll(row, list(await session.scalars(
            select(PollOption).where(PollOption.poll_id == poll.id))), q.cafe)  # fmt: skip

    # Then two people voted, and the answers count 2, 1 and 1 — on the wire in anyOf
    assert await tally(database, poll) == (2, [2, 1, 1])
    assert [choice["replies"]["totalItems"] for choice in document["anyOf"]] == [2, 1, 1]
    assert document["votersCount"] == 2 and "oneOf" not in document


async def test_results_hidden_until_the_end_are_published_at_the_close(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    poll = await held(database, q, results_hidden=True, deadline=utcnow() + timedelta(hours=2))
    await cast(database, q, q.karim, poll, 1)
    tallies = PollTallies(database, q.uris)

    # When the round sends the new tally
    assert (await tallies.run_once()).updates == 1
    async with database.session() as session:
        update = await session.scalar(
            select(Activity).where(Activity.type == "Update").order_by(Activity.id.desc())
        )
        assert update is not None
    sent = json.loads(update.payload)["object"]

    # Then it says how many voted and not for what, and when the results come
    assert sent["votersCount"] == 1 and "updated" in sent
    assert all("replies" not in choice for choice in sent["oneOf"])
    assert "Les résultats seront publiés à la clôture" in sent["content"]
    assert (await tallies.run_once()).updates == 0  # nothing new: nothing sent

    # When its time has passed
    later = PollTallies(database, q.uris, clock=lambda: utcnow() + timedelta(hours=3))
    assert (await later.run_once()).closed == 1

    # Then the final Update carries every answer's tally and its close
    async with database.session() as session:
        final = await session.scalar(
            select(Activity).where(Activity.type == "Update").order_by(Activity.id.desc())
        )
        row = await session.get(Poll, poll.id)
    assert final is not None and row is not None and row.status == CLOSED
    closing = json.loads(final.payload)["object"]
    assert [choice["replies"]["totalItems"] for choice in closing["oneOf"]] == [0, 1, 0]
    assert closing["closed"] and "Les résultats" not in closing["content"]

    # And no vote counts any more
    with pytest.raises(DomainError) as refused:
        await cast(database, q, q.nadia, poll, 0)
    assert refused.value.code == "poll_closed"


async def test_a_members_poll_refuses_others_and_the_updates_reach_remote_voters(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    poll = await held(database, q, may_vote="members")
    lea = await remote_person(database, "mastodon.example")

    with pytest.raises(DomainError) as refused:
        await cast(database, q, q.nadia, poll, 0)
    assert refused.value.code == "may_not_vote"
    async with database.transaction() as session:
        row = await session.get(Poll, poll.id)
        assert row is not None
        with pytest.raises(DomainError):
            await receive_vote(session, row, lea, mastodon_vote(lea, row, q.cafe, "Mardi"))
    await cast(database, q, q.karim, poll, 2)

    # A facilitator closes it early: the final tally goes out; a member cannot
    async with database.transaction() as session:
        row = await session.get(Poll, poll.id)
        assert row is not None
        with pytest.raises(NotOrganiser):
            await end_poll_early(session, q.uris, q.karim, row)
        await end_poll_early(session, q.uris, q.jeanmarc, row)
    assert await tally(database, poll) == (1, [0, 0, 1])


async def test_a_remote_voter_receives_every_update_of_the_tally(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    poll = await held(database, q)
    lea = await remote_person(database, "mastodon.example")
    async with database.transaction() as session:
        row = await session.get(Poll, poll.id)
        assert row is not None
        await receive_vote(session, row, lea, mastodon_vote(lea, row, q.cafe, "Mardi"))
    await PollTallies(database, q.uris).run_once()
    async with database.session() as session:
        inboxes = set(await session.scalars(select(Delivery.inbox_uri)))
    assert "https://mastodon.example/inbox" in inboxes


async def test_another_quartiers_poll_is_kept_and_our_vote_goes_to_its_server(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    assembly = await remote_person(database, "jonction.example", "assemblee")
    document = {
        "id": "https://jonction.example/polls/1", "type": "Question",
        "attributedTo": assembly.uri, "name": "Quelle fête ?", "content": "<p>Vote !</p>",
        "endTime": (utcnow() + timedelta(days=3)).isoformat(), "votersCount": 4,
        "anyOf": [{"type": "Note", "name": "Pique-nique",
                   "replies": {"type": "Collection", "totalItems": 3}},
                  {"type": "Note", "name": "Bal", "replies": {"totalItems": 2}}],
        "whoMayVote": "anyone", "resultsHidden": False,
    }  # fmt: skip
    async with database.transaction() as session:
        kept = await keep_remote_poll(session, assembly, document)
        assert isinstance(kept, Poll)
        await vote(session, q.uris, q.karim, kept, [0, 1])
        assert await keep_remote_poll(session, q.nadia, document) == "it is not theirs"
    async with database.session() as session:
        sent = list(
            await session.scalars(select(Delivery).where(Delivery.inbox_uri == assembly.inbox_uri))
        )
        activities = list(
            await session.scalars(select(Activity).where(Activity.actor_id == q.karim.id))
        )
    assert len(sent) == 2
    names = sorted(json.loads(activity.payload)["object"]["name"] for activity in activities)
    assert names == ["Bal", "Pique-nique"]
    assert all(
        json.loads(activity.payload)["object"]["inReplyTo"] == document["id"]
        for activity in activities
    )
    assert kept.multiple and kept.voters_count == 5
