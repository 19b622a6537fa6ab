"""Organisers hear who comes: a collective's facilitators and admins (or the resident who
organises) are told when someone of theirs or from elsewhere joins, asks, waits, leaves or moves
up from the waiting list, for the whole event or for one of its dates."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from commons.events import rsvps as event_rsvps
from commons.events import services as events
from storage.models import Actor, Event, Membership
from storage.models.events import RSVP_ACCEPTED, RSVP_WAITLIST
from tests.commons.events.test_date_rsvps import next_week_saturday
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import Told, browser_of, follow_remote, notifications_of
from tests.federation_rig.test_events import join, leave, rsvp_on, scene, settle

START = next_week_saturday()


async def publish(node: Node, author: Actor, organiser: Actor, **options: object) -> Event:
    fields = events.EventFields(
        title="Repair Café", start=START, end=START + timedelta(hours=5),
        place_name="Maison de quartier", **options,  # type: ignore[arg-type]
    )  # fmt: skip
    async with node.instance.database.transaction() as session:
        return await events.create_event(session, node.instance.uris, author, organiser, fields)


async def take_part(node: Node, person: Actor, event: Event, when: datetime) -> None:
    async with node.instance.database.transaction() as session:
        row = await session.scalar(select(Event).where(Event.uri == event.uri))
        assert row is not None
        await event_rsvps.join_event(session, node.instance.uris, person, row, occurrence=when)


async def test_the_people_who_run_a_collective_hear_of_joins_leaves_and_the_waiting_list(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        s = await scene(rig)
        # Given the collective's event with one place, run by jeanmarc (admin) and fanny
        # (facilitator), bob being a plain member, and amélie a resident of paquis.test too
        fanny = await s.paquis.resident("fanny")
        bob = await s.paquis.resident("bob")
        amelie = await s.paquis.resident("amelie")
        async with s.paquis.instance.database.transaction() as session:
            session.add(Membership(group_id=s.cafe.id, member_id=fanny.id, role="facilitator"))
            session.add(Membership(group_id=s.cafe.id, member_id=bob.id, role="member"))
        event = await publish(s.paquis, s.jeanmarc, s.cafe, capacity=1)
        await settle(rig)

        # When leo (servette.test) takes the place, nadia (jonction.test) and amélie (here)
        # wait, then leo leaves
        await join(s.servette, s.leo, event.uri)
        await settle(rig)
        await join(s.jonction, s.nadia, event.uri)
        await settle(rig)
        await join(s.paquis, amelie, event.uri)
        await settle(rig)
        await leave(s.servette, s.leo, event.uri)
        await settle(rig)
        assert (await rsvp_on(s.paquis, event.uri, s.nadia.uri)).state == RSVP_ACCEPTED  # type: ignore[union-attr]
        assert (await rsvp_on(s.paquis, event.uri, amelie.uri)).state == RSVP_WAITLIST  # type: ignore[union-attr]

        # Then the admin and the facilitator were told each step, in order
        def told(kind: str, who: Actor) -> Told:
            return Told(kind, who.uri, group_id=s.cafe.id, event_id=event.id)

        expected = [
            told("event_joined", s.leo),
            told("event_waiting", s.nadia),
            told("event_waiting", amelie),
            told("event_left", s.leo),
            told("event_promoted", s.nadia),
        ]
        assert await notifications_of(s.paquis, "jeanmarc") == expected
        assert await notifications_of(s.paquis, "fanny") == expected
        # and the plain member, and the people who took part, of none of it
        assert await notifications_of(s.paquis, "bob") == []
        assert await notifications_of(s.paquis, "amelie") == []

        # And the admin reads it on the notifications page, in French, with the event's link
        cookie, _ = await browser_of(s.paquis, "jeanmarc")
        page = await rig.client.get("http://paquis.test/notifications", headers=cookie)
        assert page.status_code == 200
        for line in (
            "leo participe à Repair Café.",
            "nadia est sur la liste d'attente de Repair Café.",
            "leo ne participe plus à Repair Café.",
            "nadia a obtenu une place libérée de la liste d'attente de Repair Café.",
        ):
            assert line in page.text, line
        path = event.uri.removeprefix("http://paquis.test")
        assert f'<a href="{path}">Voir l\'événement</a>' in page.text


async def test_a_resident_organiser_hears_of_a_request_and_of_a_date_taken(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        s = await scene(rig)
        amelie = await s.paquis.resident("amelie")
        await follow_remote(s.servette, s.leo, amelie.uri)
        await settle(rig)
        # Given amélie's own weekly event, and her event on approval, which leo sees
        weekly = await publish(s.paquis, amelie, amelie, rrule="FREQ=WEEKLY;COUNT=4")
        on_approval = await publish(s.paquis, amelie, amelie, join_mode="approval")
        await settle(rig)
        second = START + timedelta(weeks=1)

        # When leo (servette.test) takes part on the second date of the weekly one, and asks
        # to take part in the other
        await take_part(s.servette, s.leo, weekly, second)
        await settle(rig)
        await join(s.servette, s.leo, on_approval.uri)
        await settle(rig)

        # Then amélie is told of both (after his follow): the date, and the request
        assert await notifications_of(s.paquis, "amelie") == [
            Told("follow", s.leo.uri),
            Told("event_joined", s.leo.uri, event_id=weekly.id, occurrence=second),
            Told("event_requested", s.leo.uri, event_id=on_approval.id),
        ]
        # and the collective's admin, who has nothing to do with them, of nothing
        assert await notifications_of(s.paquis, "jeanmarc") == []
        # and her page names the date and links to that date's page
        cookie, _ = await browser_of(s.paquis, "amelie")
        page = await rig.client.get("http://paquis.test/notifications", headers=cookie)
        assert "leo demande à participer à Repair Café." in page.text
        day = second.astimezone(ZoneInfo(weekly.timezone)).date().isoformat()
        path = weekly.uri.removeprefix("http://paquis.test") + f"/occurrences/{day}"
        assert f'<a href="{path}">Voir l\'événement</a>' in page.text
