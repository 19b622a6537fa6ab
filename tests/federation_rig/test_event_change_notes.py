"""Which changes of an event are also told in a short Note: every change goes as ``Update`` of
the Event (applied by our servers, Mobilizon and Mastodon since 4.5.0); a Note is added only for
a cancellation, a new start (postponed or brought forward) and a new place."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from commons.events import services as events
from commons.events.wire import exdates_of
from storage.models import Event
from storage.models.events import CANCELLED
from tests.commons.events.test_date_rsvps import next_week_saturday
from tests.federation_rig.rig import federation_rig
from tests.federation_rig.test_events import Scene, event_on, notes_of, publish, scene, settle

START = next_week_saturday()


async def change(s: Scene, event: Event, **fields: object) -> None:
    """The collective's admin saves the event's form with these fields changed."""
    async with s.paquis.instance.database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        changed = replace(events.fields_of(row), **fields)  # type: ignore[arg-type]
        await events.edit_event(session, s.paquis.instance.uris, s.jeanmarc, row, changed)


async def notes_elsewhere(s: Scene) -> list[list[str]]:
    """The collective's notes as jonction.test and servette.test have them."""
    return [
        sorted(note.content_html for note in await notes_of(node, s.cafe.uri))
        for node in (s.jonction, s.servette)
    ]


async def test_a_new_title_end_or_later_date_goes_by_update_alone(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        s = await scene(rig)
        # Given a weekly repair café, known on jonction.test and servette.test
        event = await publish(
            s, start=START, end=START + timedelta(hours=6), rrule="FREQ=WEEKLY;COUNT=6"
        )
        await settle(rig)

        # When its title, description and end time change, and a later Saturday is dropped
        third = (START + timedelta(weeks=2)).date()
        await change(
            s, event, title="Repair Café & vélos", description="Aussi les vélos.",
            end=START + timedelta(hours=7), exdates=(third,),
        )  # fmt: skip
        await settle(rig)

        # Then every copy is up to date
        for node in (s.jonction, s.servette):
            copy = await event_on(node, event.uri)
            assert copy is not None and copy.title == "Repair Café & vélos"
            assert copy.end_time == START + timedelta(hours=7)
            assert list(exdates_of(copy)) == [third]
        # and no Note was added to anyone's timeline
        assert await notes_elsewhere(s) == [[], []]


async def test_a_new_start_a_new_place_and_a_cancellation_are_also_told_in_a_note(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        s = await scene(rig)
        event = await publish(s, start=START, end=START + timedelta(hours=6))
        await settle(rig)
        later: datetime = START + timedelta(weeks=1)

        # When it is postponed by a week
        await change(s, event, start=later, end=later + timedelta(hours=6))
        await settle(rig)
        # Then each server has the new date, and a Note saying it is postponed
        [[postponed], [same]] = await notes_elsewhere(s)
        assert postponed == same and "Changement : Repair Café reporté au " in postponed
        assert event.uri in postponed

        # When it is brought forward by a day
        earlier = later - timedelta(days=1)
        await change(s, event, start=earlier, end=earlier + timedelta(hours=6))
        await settle(rig)
        notes = await notes_elsewhere(s)
        assert all(any("Repair Café avancé au " in n for n in found) for found in notes)

        # When it moves to another place
        await change(s, event, place_name="Salle du Môle", street_address="rue du Môle 2")
        await settle(rig)
        notes = await notes_elsewhere(s)
        assert all(
            any("nouveau lieu : Salle du Môle, rue du Môle 2" in n for n in found)
            for found in notes
        )

        # When it is cancelled
        async with s.paquis.instance.database.transaction() as session:
            row = await session.get(Event, event.id)
            assert row is not None
            await events.cancel_event(session, s.paquis.instance.uris, s.jeanmarc, row)
        await settle(rig)
        # Then it is cancelled everywhere, and a fourth Note says so
        for node, found in zip((s.jonction, s.servette), await notes_elsewhere(s), strict=True):
            copy = await event_on(node, event.uri)
            assert copy is not None and copy.status == CANCELLED
            assert len(found) == 4 and any("Annulé : Repair Café" in n for n in found)
