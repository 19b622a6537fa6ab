"""What a received Join, Leave, Undo or Offer is about (inbox/answer_targets.py), through the real
inbox and worker, signed by a Mastodon-shaped server: one of our collectives, one of our events
or one date of our series, an answer to one of our offers, a vote, a follow named by its id.
What is none of ours is ignored: nothing written, the item done, never an error."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ScalarSelect, select, update

from actors.services import create_account, create_group
from commons.events import services as events
from commons.events.date_rsvps import occurrence_uri
from commons.events.fields import EventFields
from commons.events.rsvps import join_event
from federation.parsing import parse_activity
from inbox.store import store_inbox_item
from storage.models import Activity, Actor, Event, EventOccurrence, Follow, Membership, Offer, Rsvp
from storage.models.events import RSVP_ACCEPTED, RSVP_PENDING
from storage.models.offers import CANCELLED, PENDING
from storage.models.queue import DONE
from tests.inbox.conftest import Ignored
from tests.inbox.fediverse import Fediverse, activity, deliver, fediverse, in_days, note
from tests.inbox.signing import encode
from tests.inbox.test_offer_answers import agreement, karims_jam, kept
from tests.inbox.test_petition_votes import open_petition, signatures, vote
from tests.inbox.test_remote_offers import apples

LEAVINGS = ["Leave", "Undo"]


@dataclass
class Ours:
    resident: Actor
    group: Actor
    event: Event  # a one-off event
    series: Event  # three weekly dates
    dates: list[datetime]  # the series' dates, as stored


async def ours(world: Fediverse) -> Ours:
    """Sami's collective, which organises a one-off event and a weekly series, next week."""
    instance = world.instance
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
    one_off = EventFields(title="Troc de graines", start=start, end=start + timedelta(hours=2),
                          place_name="Parc des Bastions")  # fmt: skip
    weekly = replace(one_off, title="Atelier vélo", rrule="FREQ=WEEKLY;COUNT=3")
    async with instance.database.transaction() as session:
        account = await create_account(session, instance.settings, "sami", "password123")
        sami = await session.get(Actor, account.actor_id)
        assert sami is not None
        group = await create_group(session, instance.settings, "jardin", "space", "sami")
        event = await events.create_event(session, instance.uris, sami, group, one_off)
        series = await events.create_event(session, instance.uris, sami, group, weekly)
        dates = await session.scalars(
            select(EventOccurrence.start_time)
            .where(EventOccurrence.event_id == series.id)
            .order_by(EventOccurrence.start_time)
        )
        return Ours(sami, group, event, series, list(dates))


def by(uri: str) -> ScalarSelect[int]:
    return select(Actor.id).where(Actor.uri == uri).scalar_subquery()


async def gone(world: Fediverse, group: Actor) -> None:
    async with world.instance.database.transaction() as session:
        await session.execute(update(Actor).where(Actor.id == group.id).values(is_gone=True))


def leaving(kind: str, actor: str, uri: str, number: int) -> dict[str, Any]:
    """A ``Leave`` of ``uri``, or an ``Undo`` of a ``Join`` of it."""
    if kind == "Leave":
        return activity("Leave", actor, uri, number)
    return activity("Undo", actor, activity("Join", actor, uri, number), number)


async def memberships(world: Fediverse, who: str) -> list[tuple[int, str | None]]:
    async with world.instance.database.session() as session:
        rows = await session.execute(
            select(Membership.group_id, Membership.uri).where(Membership.member_id == by(who))
        )
        return [(group_id, uri) for group_id, uri in rows.all()]


async def taking_part(world: Fediverse, who: str) -> list[tuple[int, datetime | None]]:
    async with world.instance.database.session() as session:
        rows = await session.execute(
            select(Rsvp.event_id, Rsvp.occurrence).where(Rsvp.actor_id == by(who))
        )
        return [(event_id, occurrence) for event_id, occurrence in rows.all()]


@pytest.mark.parametrize("ending", LEAVINGS)
async def test_a_join_of_one_of_our_collectives_makes_the_sender_a_member_until_they_leave(
    tmp_path: Path, database_kind: str, ending: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given one of our collectives
        our = await ours(world)
        alice = world["mastodon.test"].add_actor("alice")
        # When alice joins it
        join = activity("Join", alice, our.group.uri, 1)
        await deliver(world, alice, join)
        # Then she is a member, under the id of her Join
        assert await memberships(world, alice) == [(our.group.id, join["id"])]
        # When she leaves it (a Leave, or an Undo of her Join)
        await deliver(world, alice, leaving(ending, alice, our.group.uri, 2))
        # Then she is a member no more
        assert await memberships(world, alice) == []


@pytest.mark.parametrize("ending", LEAVINGS)
async def test_a_join_of_one_of_our_events_makes_the_sender_take_part_until_they_leave(
    tmp_path: Path, database_kind: str, ending: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given one of our events
        our = await ours(world)
        alice = world["mastodon.test"].add_actor("alice")
        # When alice joins it, she takes part in it as a whole
        await deliver(world, alice, activity("Join", alice, our.event.uri, 1))
        assert await taking_part(world, alice) == [(our.event.id, None)]
        # When she leaves it, she takes part no more
        await deliver(world, alice, leaving(ending, alice, our.event.uri, 2))
        assert await taking_part(world, alice) == []


@pytest.mark.parametrize("ending", LEAVINGS)
async def test_a_join_of_one_date_of_our_series_takes_part_on_that_date_only(
    tmp_path: Path, database_kind: str, ending: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given our weekly series, its second date named by its id
        our = await ours(world)
        alice = world["mastodon.test"].add_actor("alice")
        second = occurrence_uri(our.series, our.dates[1])
        # When alice joins that date
        await deliver(world, alice, activity("Join", alice, second, 1))
        # Then she takes part on that date, not in the whole series
        assert await taking_part(world, alice) == [(our.series.id, our.dates[1])]
        # When she leaves that date, she takes part no more
        await deliver(world, alice, leaving(ending, alice, second, 2))
        assert await taking_part(world, alice) == []


@pytest.mark.parametrize("day", ["the day after a date of our series", "the day of our one-off"])
async def test_a_join_of_a_day_that_is_no_date_of_ours_writes_nothing(
    tmp_path: Path, database_kind: str, day: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given the id of a date of one of our events on a day it has no date of a series:
        # a day between two dates of our series, or the very day of our one-off event
        our = await ours(world)
        alice = world["mastodon.test"].add_actor("alice")
        if day == "the day of our one-off":
            named = occurrence_uri(our.event, our.dates[0])
        else:
            named = occurrence_uri(our.series, our.dates[0] + timedelta(days=1))
        # When alice joins it
        await deliver(world, alice, activity("Join", alice, named, 1))
        # Then she takes part in nothing: neither on a date nor in the whole event
        assert await taking_part(world, alice) == []


NONE_OF_OURS = ["a date of another server", "our resident", "our gone collective", "a remote one"]


@pytest.mark.parametrize("named", NONE_OF_OURS)
async def test_a_join_of_what_is_none_of_our_collectives_events_or_dates_writes_nothing(
    tmp_path: Path, database_kind: str, named: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given an id that is no collective, event or date of ours, though it may be a
        # collective (gone, or of another server) or one of our residents
        our = await ours(world)
        alice = world["mastodon.test"].add_actor("alice")
        club = world["mobilizon.test"].add_actor("club", kind="Group")
        assert await world.instance.remote_actors.actor(club) is not None
        await gone(world, our.group)
        uri = {
            "a date of another server": "http://mobilizon.test/events/9/occurrences/2030-06-01",
            "our resident": our.resident.uri,
            "our gone collective": our.group.uri,
            "a remote one": club,
        }[named]
        # When alice joins it
        await deliver(world, alice, activity("Join", alice, uri, 1))
        # Then she is a member of nothing and takes part in nothing
        assert await memberships(world, alice) == []
        assert await taking_part(world, alice) == []
        assert ignored() == [f"{uri} is none of our collectives, events or dates"]


@pytest.mark.parametrize("ending", LEAVINGS)
async def test_leaving_a_deleted_event_or_a_gone_collective_of_ours_changes_nothing(
    tmp_path: Path, database_kind: str, ending: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given alice a member of our collective and taking part in our event
        our = await ours(world)
        alice = world["mastodon.test"].add_actor("alice")
        joins = [
            activity("Join", alice, our.group.uri, 1),
            activity("Join", alice, our.event.uri, 2),
        ]
        await deliver(world, alice, *joins)
        # And then the event deleted and the collective gone
        async with world.instance.database.transaction() as session:
            sami = await session.get(Actor, our.resident.id)
            event = await session.get(Event, our.event.id)
            assert sami is not None and event is not None
            await events.delete_event(session, world.instance.uris, sami, event)
        await gone(world, our.group)
        # When she leaves both
        await deliver(world, alice, leaving(ending, alice, our.group.uri, 3),
                      leaving(ending, alice, our.event.uri, 4))  # fmt: skip
        # Then neither is ours any more to change: what was written stays
        assert await memberships(world, alice) == [(our.group.id, joins[0]["id"])]
        assert await taking_part(world, alice) == [(our.event.id, None)]


async def test_an_offer_of_something_else_than_an_agreement_is_no_answer_to_our_offer(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given one of our offers, and an Offer of a Note that names it as an Agreement would
        _karim, offer = await karims_jam(world)
        lea = world["mastodon.test"].add_actor("lea")
        offered = agreement(lea, offer, 1)
        offered["object"]["type"] = "Note"
        # When it is received
        await deliver(world, lea, offered)
        # Then no answer is kept
        assert await kept(world) == []
        assert ignored() == ["an Offer of something else than an Agreement"]


@pytest.mark.parametrize("unusable", ["without stipulates", "for another server's offer"])
async def test_an_agreement_queued_before_the_inbox_checked_it_is_ignored_when_unusable(
    tmp_path: Path, database_kind: str, unusable: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given an answer the inbox refuses at once (inbox/prechecks.py): one that says
        # nothing it is for, or one to an offer another server keeps
        verger = world["mastodon.test"].add_actor("verger")
        await deliver(world, verger, activity("Create", verger, apples(verger), 1))
        lea = world["mastodon.test"].add_actor("lea")
        async with world.instance.database.session() as session:
            remote = await session.scalar(select(Offer))
        assert remote is not None and not remote.is_local
        _karim, ours_too = await karims_jam(world)  # an offer of ours, which none names
        offered = agreement(lea, remote, 1)
        if unusable == "without stipulates":
            offered = agreement(lea, ours_too, 1)
            del offered["object"]["stipulates"]
        assert (await world.post_as(lea, offered)).status_code in (400, 404)
        # And yet queued, as it was before that check was made
        await store_inbox_item(world.instance.database, parse_activity(offered), encode(offered),
                               None)  # fmt: skip
        # When the worker handles it
        await world.handle()
        # Then it is done, no answer is kept and none is refused
        assert [(item.state, item.last_error) for item in await world.inbox_items()] == [
            (DONE, None), (DONE, None)]  # fmt: skip
        assert await kept(world) == []
        assert await world.count(Activity, Activity.type == "Reject") == 0
        if unusable == "without stipulates":
            assert ignored() == ["unusable agreement: not_an_offer"]
        else:
            assert ignored() == [f"{remote.uri} is none of our offers"]


async def test_an_undo_of_an_answer_to_our_offer_cancels_it_and_one_of_no_answer_is_ignored(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given Léa's answer to one of our offers
        _karim, offer = await karims_jam(world)
        lea = world["mastodon.test"].add_actor("lea")
        await deliver(world, lea, agreement(lea, offer, 1))
        assert [response.state for response in await kept(world)] == [PENDING]
        # When she undoes an answer we never had
        unknown = {"id": f"{lea}/offers/404", "type": "Offer", "actor": lea}
        await deliver(world, lea, activity("Undo", lea, unknown, 1))
        # Then hers stands
        assert [response.state for response in await kept(world)] == [PENDING]
        assert ignored() == [f"no answer to our offers is {lea}/offers/404"]
        # When she undoes hers, it is cancelled
        hers = {"id": f"{lea}/offers/1", "type": "Offer", "actor": lea}
        await deliver(world, lea, activity("Undo", lea, hers, 2))
        assert [response.state for response in await kept(world)] == [CANCELLED]


async def test_an_undo_of_a_vote_on_our_petition_withdraws_it_and_one_of_a_reply_does_not(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given alice's signature on our petition
        petition = await open_petition(world, "bancs")
        alice = world["mastodon.test"].add_actor("alice")
        await deliver(world, alice, vote(alice, petition, 1))
        assert list(await signatures(world, petition)) == [alice]
        # When she undoes the Create of a reply to the petition (no vote)
        reply = activity("Create", alice, note(alice, 2, inReplyTo=petition.uri), 2)
        await deliver(world, alice, activity("Undo", alice, reply, 2))
        # Then she still signs it
        assert list(await signatures(world, petition)) == [alice]
        assert ignored() == ["an Undo of a Create that is no vote of ours"]
        # When she undoes her vote, she signs it no more
        await deliver(world, alice, activity("Undo", alice, vote(alice, petition, 1), 3))
        assert await signatures(world, petition) == {}


async def test_an_undo_naming_only_an_id_undoes_that_follow_but_one_of_an_unknown_kind_does_not(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given alice following one of our residents
        our = await ours(world)
        alice = world["mastodon.test"].add_actor("alice")
        follow = activity("Follow", alice, our.resident.uri, 1)
        await deliver(world, alice, follow)
        assert await world.count(Follow, Follow.follower_id == by(alice)) == 1
        # When she undoes something of a kind we do not act on, under the same id
        block = {"id": follow["id"], "type": "Block"}
        await deliver(world, alice, activity("Undo", alice, block, 1))
        # Then she still follows
        assert await world.count(Follow, Follow.follower_id == by(alice)) == 1
        assert ignored() == ["an Undo of Block"]
        # When she undoes what she names by its id only, her follow of that id is undone
        await deliver(world, alice, activity("Undo", alice, follow["id"], 2))
        assert await world.count(Follow, Follow.follower_id == by(alice)) == 0


@pytest.mark.parametrize("joined", ["collective", "event", "date"])
async def test_an_undo_naming_only_the_id_of_a_join_ends_that_membership_or_participation(
    tmp_path: Path, database_kind: str, joined: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given alice a member of our collective, or taking part in our event or in one date
        our = await ours(world)
        alice = world["mastodon.test"].add_actor("alice")
        bob = world["mastodon.test"].add_actor("bob")
        uri = {"collective": our.group.uri, "event": our.event.uri,
               "date": occurrence_uri(our.series, our.dates[1])}[joined]  # fmt: skip
        join = activity("Join", alice, uri, 1)
        await deliver(world, alice, join)
        kept_before = (await memberships(world, alice), await taking_part(world, alice))
        assert kept_before != ([], [])
        # When bob, on the same server, undoes alice's Join by its id
        await deliver(world, bob, activity("Undo", bob, join["id"], 1))
        # Then nothing changes: only who joined may take it back
        assert (await memberships(world, alice), await taking_part(world, alice)) == kept_before
        # When alice undoes it by its id alone
        await deliver(world, alice, activity("Undo", alice, join["id"], 2))
        # Then she is a member, or takes part, no more
        assert (await memberships(world, alice), await taking_part(world, alice)) == ([], [])


async def test_an_undo_naming_the_id_of_one_of_several_joins_ends_that_one_only(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given alice taking part in our event and in two dates of our series, and a member of
        # two collectives
        our = await ours(world)
        other = await second_collective(world, our)
        alice = world["mastodon.test"].add_actor("alice")
        named = [our.event.uri, occurrence_uri(our.series, our.dates[1]),
                 occurrence_uri(our.series, our.dates[2]), our.group.uri, other.uri]  # fmt: skip
        joins = [activity("Join", alice, uri, n) for n, uri in enumerate(named)]
        after = [(await taking_part(world, alice), await memberships(world, alice))]
        for join in joins:  # where she stands after each Join
            await deliver(world, alice, join)
            after.append((await taking_part(world, alice), await memberships(world, alice)))
        assert [sum(map(len, stands)) for stands in after] == [0, 1, 2, 3, 4, 5]

        # When she undoes each by its id alone, the last first
        for n, join in reversed(list(enumerate(joins))):
            await deliver(world, alice, activity("Undo", alice, join["id"], n))
            # Then that one ends, and the others are kept
            assert (await taking_part(world, alice), await memberships(world, alice)) == after[n]


async def second_collective(world: Fediverse, our: Ours) -> Actor:
    instance = world.instance
    async with instance.database.transaction() as session:
        return await create_group(session, instance.settings, "atelier", "project", "sami")


async def test_the_organisers_accept_of_our_residents_join_of_their_event_is_recorded(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given Sami's Join of an event of another server, waiting for its organiser
        our = await ours(world)
        atelier = world["mobilizon.test"].add_actor("atelier")
        remote = {"id": f"{atelier}/events/1", "type": "Event", "name": "Vélo", "attributedTo": atelier,
                  "startTime": in_days(10), "endTime": in_days(11)}  # fmt: skip
        await deliver(world, atelier, activity("Create", atelier, remote, 1))
        async with world.instance.database.transaction() as session:
            sami = await session.get(Actor, our.resident.id)
            event = await session.scalar(select(Event).where(Event.uri == remote["id"]))
            assert sami is not None and event is not None
            rsvp = await join_event(session, world.instance.uris, sami, event)
        assert rsvp.uri is not None and rsvp.state == RSVP_PENDING
        # When the organiser accepts it (Mobilizon's Accept embeds the Join)
        join = {"id": rsvp.uri, "type": "Join", "actor": sami.uri, "object": remote["id"]}
        await deliver(world, atelier, activity("Accept", atelier, join, 2))
        # Then Sami takes part
        assert await world.count(Rsvp, Rsvp.id == rsvp.id, Rsvp.state == RSVP_ACCEPTED) == 1
