"""Events across instances: publishing, taking part (Join → Accept), the waiting list, changes,
cancellation with its short Note, and a reply that becomes a comment."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from commons.events import rsvps as event_rsvps
from commons.events import services as events
from commons.posts.services import publish_note
from storage.models import Actor, Delivery, Event, InboxItem, Post, Rsvp
from storage.models.events import CANCELLED, RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST
from storage.models.posts import PUBLIC as PUBLIC_POST
from storage.models.queue import QUEUED
from tests.federation_rig.rig import Node, Rig, federation_rig
from tests.federation_rig.steps import follow_remote

# A fixed Saturday long past, in December (no daylight-saving change near it, so the local
# hours and the wording stay put): nothing these tests check depends on today, which
# tests/test_clock_ahead.py proves by running them a year ahead, and a past date cannot come due.
START = datetime(2020, 12, 5, 9, 0, tzinfo=UTC)


@dataclass
class Scene:
    paquis: Node
    jonction: Node
    servette: Node
    jeanmarc: Actor
    cafe: Actor
    nadia: Actor
    leo: Actor


async def settle(rig: Rig) -> None:
    """Drain every queue, and check that nothing was left waiting for a retry."""
    await rig.drain()
    for node in rig.nodes.values():
        async with node.instance.database.session() as session:
            for model in (Delivery, InboxItem):
                waiting = await session.scalar(
                    select(func.count()).select_from(model).where(model.state == QUEUED)
                )
                assert waiting == 0, f"{node.host}: {waiting} {model.__tablename__} left queued"


async def scene(rig: Rig) -> Scene:
    paquis, jonction, servette = rig["paquis.test"], rig["jonction.test"], rig["servette.test"]
    jeanmarc = await paquis.resident("jeanmarc")
    cafe = await paquis.collective("repair-cafe", "jeanmarc")
    nadia = await jonction.resident("nadia")
    leo = await servette.resident("leo")
    await follow_remote(jonction, nadia, cafe.uri)
    await follow_remote(servette, leo, cafe.uri)
    await settle(rig)
    return Scene(paquis, jonction, servette, jeanmarc, cafe, nadia, leo)


async def publish(s: Scene, **options: object) -> Event:
    fields = events.EventFields(
        title="Repair Café", start=START, end=datetime(2020, 12, 5, 15, 0, tzinfo=UTC),
        place_name="Maison de quartier des Pâquis", street_address="rue de Berne 50",
        postal_code="1201", locality="Genève", latitude=46.2102, longitude=6.1432,
        category="repair_cafe",
    )  # fmt: skip
    fields = replace(fields, **options)  # type: ignore[arg-type]
    async with s.paquis.instance.database.transaction() as session:
        return await events.create_event(
            session, s.paquis.instance.uris, s.jeanmarc, s.cafe, fields
        )


async def event_on(node: Node, uri: str) -> Event | None:
    async with node.instance.database.session() as session:
        return await session.scalar(select(Event).where(Event.uri == uri))


async def rsvp_on(node: Node, event_uri: str, actor_uri: str) -> Rsvp | None:
    async with node.instance.database.session() as session:
        return await session.scalar(
            select(Rsvp)
            .join(Event, Event.id == Rsvp.event_id)
            .join(Actor, Actor.id == Rsvp.actor_id)
            .where(Event.uri == event_uri, Actor.uri == actor_uri)
        )


async def join(node: Node, person: Actor, event_uri: str) -> Rsvp:
    async with node.instance.database.transaction() as session:
        event = await session.scalar(select(Event).where(Event.uri == event_uri))
        assert event is not None, f"{node.host} does not have {event_uri}"
        return await event_rsvps.join_event(session, node.instance.uris, person, event)


async def leave(node: Node, person: Actor, event_uri: str) -> None:
    async with node.instance.database.transaction() as session:
        event = await session.scalar(select(Event).where(Event.uri == event_uri))
        assert event is not None
        assert await event_rsvps.leave_event(session, node.instance.uris, person, event)


async def notes_of(node: Node, author_uri: str) -> list[Post]:
    async with node.instance.database.session() as session:
        rows = await session.scalars(
            select(Post).join(Actor, Actor.id == Post.actor_id).where(Actor.uri == author_uri)
        )
        return list(rows)


async def test_a_resident_elsewhere_joins_is_counted_on_both_sides_and_leaves(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        s = await scene(rig)
        # Given an event of the repair café on paquis.test
        event = await publish(s)
        await settle(rig)
        # Then it reaches the followers on jonction.test and servette.test
        copy = await event_on(s.jonction, event.uri)
        assert copy is not None and not copy.is_local and copy.start_time == START
        assert copy.place_name == "Maison de quartier des Pâquis" and copy.category == "repair_cafe"

        # When a resident of servette.test takes part
        rsvp = await join(s.servette, s.leo, event.uri)
        assert rsvp.state == RSVP_PENDING
        await settle(rig)
        # Then paquis accepted, and both sides count one participant
        assert (await rsvp_on(s.servette, event.uri, s.leo.uri)).state == RSVP_ACCEPTED  # type: ignore[union-attr]
        assert (await rsvp_on(s.paquis, event.uri, s.leo.uri)).state == RSVP_ACCEPTED  # type: ignore[union-attr]
        assert (await event_on(s.paquis, event.uri)).participant_count == 1  # type: ignore[union-attr]
        assert (await event_on(s.servette, event.uri)).participant_count == 1  # type: ignore[union-attr]
        assert (await event_on(s.jonction, event.uri)).participant_count == 1  # type: ignore[union-attr]

        # When he leaves, nobody is counted any more
        await leave(s.servette, s.leo, event.uri)
        await settle(rig)
        assert await rsvp_on(s.paquis, event.uri, s.leo.uri) is None
        assert (await event_on(s.paquis, event.uri)).participant_count == 0  # type: ignore[union-attr]
        assert (await event_on(s.servette, event.uri)).participant_count == 0  # type: ignore[union-attr]


async def test_one_place_and_a_waiting_list_across_instances(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        s = await scene(rig)
        event = await publish(s, capacity=1)
        await settle(rig)
        # When two residents of two instances ask for the only place
        await join(s.servette, s.leo, event.uri)
        await settle(rig)
        await join(s.jonction, s.nadia, event.uri)
        await settle(rig)
        # Then the second one waits
        assert (await rsvp_on(s.servette, event.uri, s.leo.uri)).state == RSVP_ACCEPTED  # type: ignore[union-attr]
        assert (await rsvp_on(s.paquis, event.uri, s.nadia.uri)).state == RSVP_WAITLIST  # type: ignore[union-attr]
        assert (await rsvp_on(s.jonction, event.uri, s.nadia.uri)).state == RSVP_PENDING  # type: ignore[union-attr]
        assert (await event_on(s.jonction, event.uri)).capacity == 1  # type: ignore[union-attr]

        # When the first one leaves, she moves up and receives the Accept
        await leave(s.servette, s.leo, event.uri)
        await settle(rig)
        assert (await rsvp_on(s.paquis, event.uri, s.nadia.uri)).state == RSVP_ACCEPTED  # type: ignore[union-attr]
        assert (await rsvp_on(s.jonction, event.uri, s.nadia.uri)).state == RSVP_ACCEPTED  # type: ignore[union-attr]


async def test_a_change_and_a_cancellation_reach_everyone_with_a_short_note(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        s = await scene(rig)
        event = await publish(s)
        await settle(rig)
        await join(s.servette, s.leo, event.uri)
        await settle(rig)

        # When the collective postpones it by a week
        async with s.paquis.instance.database.transaction() as session:
            row = await session.get(Event, event.id)
            assert row is not None
            await events.postpone_event(session, s.paquis.instance.uris, s.jeanmarc, row,
                                        datetime(2020, 12, 12, 9, 0, tzinfo=UTC), None)  # fmt: skip
        await settle(rig)
        # Then the new date is everywhere, with a Note Mastodon users can read
        for node in (s.jonction, s.servette):
            copy = await event_on(node, event.uri)
            assert copy is not None and copy.start_time == datetime(2020, 12, 12, 9, tzinfo=UTC)
            [note] = await notes_of(node, s.cafe.uri)
            assert "reporté au samedi 12 décembre 2020, 10:00–16:00" in note.content_html
            assert event.uri in note.content_html

        # When it is cancelled
        async with s.paquis.instance.database.transaction() as session:
            row = await session.get(Event, event.id)
            assert row is not None
            await events.cancel_event(session, s.paquis.instance.uris, s.jeanmarc, row)
        await settle(rig)
        for node in (s.jonction, s.servette):
            copy = await event_on(node, event.uri)
            assert copy is not None and copy.status == CANCELLED
            assert any(
                "Annulé : Repair Café" in n.content_html for n in await notes_of(node, s.cafe.uri)
            )


async def test_a_reply_from_elsewhere_becomes_a_comment(tmp_path: Path, database_kind: str) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        s = await scene(rig)
        event = await publish(s)
        await settle(rig)
        # When nadia replies to the event, as Mastodon does, to its attributedTo
        cafe_on_jonction = await s.jonction.actor(s.cafe.uri)
        assert cafe_on_jonction is not None
        async with s.jonction.instance.database.transaction() as session:
            await publish_note(session, s.jonction.instance.uris, s.nadia, "J'apporte un grille-pain !",
                               in_reply_to=event.uri, inboxes=[cafe_on_jonction.inbox_uri])  # fmt: skip
        await settle(rig)
        # Then it is a comment under the event on paquis.test
        async with s.paquis.instance.database.session() as session:
            comment = await session.scalar(select(Post).where(Post.in_reply_to_uri == event.uri))
        assert comment is not None and "grille-pain" in comment.content_html
        assert comment.visibility == PUBLIC_POST and comment.actor_id != s.jeanmarc.id
        # And the event's page shows it among its comments, as the only one, with its author
        page = await rig.client.get(event.uri, headers={"Accept": "text/html"})
        assert page.status_code == 200
        comments = page.text.split('id="comments"', 1)[1]
        assert comments.count('<article class="post"') == 1
        assert "grille-pain" in comments and "nadia" in comments
        assert "Pas encore de commentaire" not in comments
