"""One date of a series across instances: a resident of servette.test takes part on one
Saturday of a paquis.test series (its own id, its own count), then leaves; a Join of the series
still takes part in every date; the date's Event is served to servers."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from commons.events import date_rsvps
from commons.events import rsvps as event_rsvps
from storage.models import Actor, Event, Rsvp
from storage.models.events import RSVP_ACCEPTED, RSVP_PENDING
from tests.clock import next_week_saturday
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.test_events import event_on, publish, scene, settle

AP = {"Accept": "application/activity+json"}
START = next_week_saturday()
SATURDAYS = [START + timedelta(weeks=n) for n in range(4)]


def dates() -> dict[str, datetime]:
    return {"start": START, "end": START + timedelta(hours=6)}


async def date_rsvp(node: Node, event_uri: str, actor_uri: str) -> Rsvp | None:
    async with node.instance.database.session() as session:
        return await session.scalar(
            select(Rsvp)
            .join(Event, Event.id == Rsvp.event_id)
            .join(Actor, Actor.id == Rsvp.actor_id)
            .where(Event.uri == event_uri, Actor.uri == actor_uri)
        )


async def counts_on(node: Node, event_uri: str) -> dict[datetime, int]:
    async with node.instance.database.session() as session:
        event = await session.scalar(select(Event).where(Event.uri == event_uri))
        assert event is not None
        return await date_rsvps.date_counts(session, event, SATURDAYS)


async def take_part(node: Node, person: object, event_uri: str, when: datetime | None) -> Rsvp:
    async with node.instance.database.transaction() as session:
        event = await session.scalar(select(Event).where(Event.uri == event_uri))
        assert event is not None
        return await event_rsvps.join_event(
            session,
            node.instance.uris,
            person,
            event,
            occurrence=when,  # type: ignore[arg-type]
        )


async def test_a_resident_elsewhere_takes_part_on_one_date_only_then_leaves(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        s = await scene(rig)
        # Given a repair café every Saturday (four of them) on paquis.test, with 5 places
        event = await publish(s, rrule="FREQ=WEEKLY;COUNT=4", capacity=5, **dates())
        await settle(rig)
        copy = await event_on(s.servette, event.uri)
        assert copy is not None and copy.rrule == "FREQ=WEEKLY;COUNT=4"
        second = SATURDAYS[1]
        day = second.astimezone(ZoneInfo("Europe/Zurich")).date()
        date_id = f"{event.uri}/occurrences/{day.isoformat()}"

        # When leo, on servette.test, takes part on the second Saturday
        asked = await take_part(s.servette, s.leo, event.uri, second)
        assert asked.state == RSVP_PENDING
        await settle(rig)

        # Then paquis accepted his Join of that date's id; he is counted on that date only
        mine = await date_rsvp(s.servette, event.uri, s.leo.uri)
        theirs = await date_rsvp(s.paquis, event.uri, s.leo.uri)
        assert mine is not None and mine.state == RSVP_ACCEPTED and mine.occurrence == second
        assert theirs is not None and theirs.state == RSVP_ACCEPTED
        assert theirs.occurrence == second
        assert await counts_on(s.paquis, event.uri) == {
            start: int(start == second) for start in SATURDAYS
        }
        assert (await event_on(s.paquis, event.uri)).participant_count == 0  # type: ignore[union-attr]
        # and the date's Event, sent to him with its count, did not become an event of its own
        async with s.servette.instance.database.session() as session:
            assert await session.scalar(select(func.count()).select_from(Event)) == 1

        # And that date's Event is served with its own count and a link to the series
        response = await rig.client.get(date_id, headers=AP)
        assert response.status_code == 200
        document = response.json()
        assert document["id"] == date_id and document["type"] == "Event"
        assert document["startTime"] == second.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert document["superEvent"] == event.uri
        assert document["participantCount"] == 1
        assert document["remainingAttendeeCapacity"] == 4
        assert "rrule" not in document

        # When he leaves that date
        async with s.servette.instance.database.transaction() as session:
            row = await session.scalar(select(Event).where(Event.uri == event.uri))
            assert row is not None
            assert await event_rsvps.leave_event(
                session, s.servette.instance.uris, s.leo, row, occurrence=second
            )
        await settle(rig)

        # Then nobody is counted any more
        assert await date_rsvp(s.paquis, event.uri, s.leo.uri) is None
        assert set((await counts_on(s.paquis, event.uri)).values()) == {0}


async def test_a_join_of_the_series_takes_part_in_every_date(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        s = await scene(rig)
        event = await publish(s, rrule="FREQ=WEEKLY;COUNT=4", **dates())
        await settle(rig)

        # When nadia, on jonction.test, takes part in the series itself
        await take_part(s.jonction, s.nadia, event.uri, None)
        await settle(rig)

        # Then she comes on every date, and the series counts her on both sides
        theirs = await date_rsvp(s.paquis, event.uri, s.nadia.uri)
        assert theirs is not None and theirs.state == RSVP_ACCEPTED and theirs.occurrence is None
        assert set((await counts_on(s.paquis, event.uri)).values()) == {1}
        assert (await event_on(s.paquis, event.uri)).participant_count == 1  # type: ignore[union-attr]
        assert (await event_on(s.jonction, event.uri)).participant_count == 1  # type: ignore[union-attr]
