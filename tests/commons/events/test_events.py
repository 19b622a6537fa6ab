"""Event services: who may organise, what is refused (with codes), what is sent, RSVPs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from commons.events import rsvps as event_rsvps
from commons.events import services as events
from commons.events.recurrence import RecurrenceError
from config.errors import Invalid
from storage.database import Database
from storage.models import Activity, Event, Post
from storage.models.events import CANCELLED, RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST
from tests.commons.event_support import Quartier, create, repair_cafe


async def sent(database: Database, kind: str) -> list[dict[str, object]]:
    async with database.session() as session:
        rows = await session.scalars(
            select(Activity).where(Activity.type == kind).order_by(Activity.id)
        )
        return [json.loads(row.payload) for row in rows]


async def test_a_facilitator_publishes_an_event_of_the_collective(
    database: Database, quartier: Quartier
) -> None:
    # When the admin of the repair café creates an event for it
    event = await create(database, quartier, quartier.jeanmarc)

    # Then it belongs to the collective and a Create of the Event is queued
    assert event.actor_id == quartier.cafe.id and event.is_local
    assert "<strong>ensemble</strong>" in event.description_html
    [create_activity] = await sent(database, "Create")
    obj = create_activity["object"]
    assert isinstance(obj, dict) and obj["type"] == "Event"
    assert obj["attributedTo"] == quartier.cafe.uri
    assert obj["summary"].startswith("<p>Samedi 5 décembre 2020, 10:00–16:00 · Maison de quartier")


async def test_a_plain_member_may_not_organise_for_the_collective(
    database: Database, quartier: Quartier
) -> None:
    with pytest.raises(events.NotOrganiser) as refused:
        await create(database, quartier, quartier.karim)
    assert refused.value.code == "not_allowed"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"end": datetime(2020, 12, 5, 8, 0, tzinfo=UTC)}, "end_before_start"),
        ({"place_name": None, "street_address": None}, "missing_place"),
        ({"latitude": 123.0}, "bad_coordinates"),
        ({"title": "  "}, "missing_title"),
        ({"join_mode": "external"}, "missing_registration_link"),
    ],
)
async def test_bad_fields_are_refused_with_a_code(
    database: Database, quartier: Quartier, changes: dict[str, object], code: str
) -> None:
    with pytest.raises(Invalid) as refused:
        await create(database, quartier, quartier.jeanmarc, **changes)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("rule", "code"),
    [("FREQ=HOURLY", "unsupported_frequency"), ("FREQ=WEEKLY;BYDAY=XX", "invalid_rule"),
     ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no_occurrence")],
)  # fmt: skip
async def test_an_impossible_rule_is_refused(
    database: Database, quartier: Quartier, rule: str, code: str
) -> None:
    with pytest.raises(RecurrenceError) as refused:
        await create(database, quartier, quartier.jeanmarc, rrule=rule)
    assert refused.value.code == code
    assert isinstance(refused.value, Invalid) and refused.value.field == "rrule"


async def test_a_weekly_series_says_its_rule_and_next_dates(
    database: Database, quartier: Quartier
) -> None:
    event = await create(database, quartier, quartier.jeanmarc, rrule="FREQ=WEEKLY;BYDAY=SA")
    document = events.event_document(event, quartier.cafe)
    assert document["rrule"] == "FREQ=WEEKLY;BYDAY=SA"
    assert "Chaque samedi, 10:00–16:00 · Prochaines dates : samedi" in document["summary"]


async def test_capacity_cannot_go_below_participants(
    database: Database, quartier: Quartier
) -> None:
    event = await create(database, quartier, quartier.jeanmarc, capacity=5)
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        for person in (quartier.karim, quartier.nadia):
            await event_rsvps.join_event(session, quartier.uris, person, row)
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None and row.participant_count == 2
        with pytest.raises(Invalid) as refused:
            await events.edit_event(
                session, quartier.uris, quartier.jeanmarc, row, repair_cafe(capacity=1)
            )
    assert refused.value.code == "capacity_below_participants"


async def test_postponing_sends_an_update_and_a_short_note(
    database: Database, quartier: Quartier
) -> None:
    event = await create(database, quartier, quartier.jeanmarc)
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        await events.postpone_event(
            session, quartier.uris, quartier.jeanmarc, row,
            datetime(2020, 12, 12, 9, 0, tzinfo=UTC), None,
        )  # fmt: skip
    [update] = await sent(database, "Update")
    assert update["object"]["startTime"] == "2020-12-12T09:00:00Z"  # type: ignore[index]
    notes = [a["object"] for a in await sent(database, "Create") if a["object"]["type"] == "Note"]  # type: ignore[index]
    assert len(notes) == 1
    content = notes[0]["content"]  # type: ignore[index]
    assert "Changement : Repair Café reporté au samedi 12 décembre 2020, 10:00–16:00" in content
    assert event.uri in content
    assert not notes[0].get("tag")  # type: ignore[union-attr]


async def test_cancelling_marks_it_and_says_so(database: Database, quartier: Quartier) -> None:
    event = await create(database, quartier, quartier.jeanmarc)
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        await events.cancel_event(session, quartier.uris, quartier.jeanmarc, row)
    async with database.session() as session:
        row = await session.get(Event, event.id)
        note = await session.scalar(select(Post).where(Post.actor_id == quartier.cafe.id))
    assert row is not None and row.status == CANCELLED
    [update] = await sent(database, "Update")
    assert update["object"]["eventStatus"] == "CANCELLED"  # type: ignore[index]
    assert (
        note is not None
        and note.source is not None
        and note.source.startswith("Annulé : Repair Café")
    )


async def test_a_full_event_has_a_waiting_list_that_moves_up(
    database: Database, quartier: Quartier
) -> None:
    event = await create(database, quartier, quartier.jeanmarc, capacity=1)
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        first = await event_rsvps.join_event(session, quartier.uris, quartier.karim, row)
        second = await event_rsvps.join_event(session, quartier.uris, quartier.nadia, row)
        assert (first.state, second.state) == (RSVP_ACCEPTED, RSVP_WAITLIST)
        assert await event_rsvps.waitlist_position(session, row, second) == 1
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        assert await event_rsvps.leave_event(session, quartier.uris, quartier.karim, row)
    async with database.session() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        moved = await event_rsvps.find_rsvp(session, row, quartier.nadia)
    assert moved is not None and moved.state == RSVP_ACCEPTED and row.participant_count == 1


async def test_an_event_on_approval_waits_for_the_organiser(
    database: Database, quartier: Quartier
) -> None:
    event = await create(database, quartier, quartier.jeanmarc, join_mode="approval")
    async with database.transaction() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        rsvp = await event_rsvps.join_event(session, quartier.uris, quartier.nadia, row)
        assert rsvp.state == RSVP_PENDING
        with pytest.raises(events.NotOrganiser):
            await event_rsvps.answer_participation(
                session, quartier.uris, quartier.karim, row, rsvp.id, accept=True
            )
        await event_rsvps.answer_participation(
            session, quartier.uris, quartier.jeanmarc, row, rsvp.id, accept=True
        )
        assert rsvp.state == RSVP_ACCEPTED and row.participant_count == 1
