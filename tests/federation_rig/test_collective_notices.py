"""A collective's facilitators and admins hear of public posts from elsewhere that mention the
collective or answer its events, its dates and its posts; a plain member does not, and a post
that is not public tells nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from commons.events import services as events
from commons.posts.services import publish_note
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Event, Membership, Post
from tests.commons.events.test_date_rsvps import next_week_saturday
from tests.federation_rig.rig import Node, Rig, federation_rig
from tests.federation_rig.steps import Told, browser_of, notifications_of

PAQUIS_JONCTION = ("paquis.test", "jonction.test")
START = next_week_saturday()


@dataclass
class Scene:
    paquis: Node
    jonction: Node
    cafe: Actor
    nadia: Actor


async def scene(rig: Rig) -> Scene:
    """A collective on paquis.test run by jeanmarc (admin) and fanny (facilitator), with bob
    as a plain member; nadia lives on jonction.test and is no member."""
    paquis, jonction = rig["paquis.test"], rig["jonction.test"]
    await paquis.resident("jeanmarc")
    cafe = await paquis.collective("repair-cafe", "jeanmarc")
    roles = {"fanny": "facilitator", "bob": "member"}
    for name, role in roles.items():
        person = await paquis.resident(name)
        async with paquis.instance.database.transaction() as session:
            session.add(Membership(group_id=cafe.id, member_id=person.id, role=role))
    nadia = await jonction.resident("nadia")
    return Scene(paquis, jonction, cafe, nadia)


async def send_note(rig: Rig, s: Scene, number: int, **fields: Any) -> str:
    """nadia sends a Mastodon-shaped public note (unless ``to`` says otherwise) to paquis."""
    uri = f"{s.nadia.uri}/statuses/{number}"
    note = {
        "id": uri,
        "type": "Note",
        "attributedTo": s.nadia.uri,
        "content": "<p>Bonjour</p>",
        "to": [PUBLIC],
        "cc": [f"{s.nadia.uri}/followers", s.cafe.uri],
        **fields,
    }
    async with s.jonction.instance.database.transaction() as session:
        create = build_activity(s.jonction.instance.uris, "Create", s.nadia, note, note["to"], [])
        await enqueue_activity(
            session, s.nadia, create, to_followers=False, inboxes=[s.cafe.inbox_uri]
        )
    await rig.drain()
    return uri


async def post_id(node: Node, uri: str) -> int:
    async with node.instance.database.session() as session:
        found = await session.scalar(select(Post.id).where(Post.uri == uri))
    assert found is not None, f"{uri} was not kept"
    return found


def mention_of(cafe: Actor) -> list[dict[str, str]]:
    return [{"type": "Mention", "href": cafe.uri, "name": "@repair-cafe@paquis.test"}]


async def test_a_public_mention_and_replies_to_its_event_date_and_post_tell_who_runs_it(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=PAQUIS_JONCTION) as rig:
        s = await scene(rig)
        jeanmarc = await s.paquis.actor("http://paquis.test/@jeanmarc")
        assert jeanmarc is not None
        # Given the collective's weekly event and one of its own posts
        async with s.paquis.instance.database.transaction() as session:
            fields = events.EventFields(
                title="Repair Café", start=START, end=START + timedelta(hours=5),
                place_name="Maison de quartier", rrule="FREQ=WEEKLY;COUNT=4",
            )  # fmt: skip
            event = await events.create_event(
                session, s.paquis.instance.uris, jeanmarc, s.cafe, fields
            )
            cafe = await session.get(Actor, s.cafe.id)
            assert cafe is not None
            news = await publish_note(session, s.paquis.instance.uris, cafe, "Ouvert samedi")
        await rig.drain()
        day = (START + timedelta(weeks=1)).astimezone(ZoneInfo(event.timezone)).date()
        date_uri = f"{event.uri}/occurrences/{day.isoformat()}"

        # When nadia mentions the collective in a public note, then replies publicly to its
        # event, to one of its dates and to its post (as Mastodon replies: cc its author)
        mention = await send_note(rig, s, 1, tag=mention_of(s.cafe))
        to_event = await send_note(rig, s, 2, inReplyTo=event.uri)
        to_date = await send_note(rig, s, 3, inReplyTo=date_uri)
        to_post = await send_note(rig, s, 4, inReplyTo=news.uri)

        # Then the admin and the facilitator are each told of all four, in order
        expected = [
            Told("collective_mention", s.nadia.uri, await post_id(s.paquis, mention), s.cafe.id),
            Told("collective_reply", s.nadia.uri, await post_id(s.paquis, to_event), s.cafe.id),
            Told("collective_reply", s.nadia.uri, await post_id(s.paquis, to_date), s.cafe.id),
            Told("collective_reply", s.nadia.uri, await post_id(s.paquis, to_post), s.cafe.id),
        ]
        assert await notifications_of(s.paquis, "jeanmarc") == expected
        assert await notifications_of(s.paquis, "fanny") == expected
        # and the plain member is told of nothing
        assert await notifications_of(s.paquis, "bob") == []

        # And the admin's notifications page says so, in French, with a way to the post
        cookie, _ = await browser_of(s.paquis, "jeanmarc")
        page = await rig.client.get("http://paquis.test/notifications", headers=cookie)
        assert page.status_code == 200
        assert "nadia a mentionné repair-cafe." in page.text
        assert page.text.count("nadia a répondu à repair-cafe.") == 3
        assert f'href="/posts/{await post_id(s.paquis, mention)}"' in page.text


async def test_a_mention_that_is_not_public_tells_nobody_who_runs_the_collective(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=PAQUIS_JONCTION) as rig:
        s = await scene(rig)
        # When nadia mentions the collective in a note for her followers and the collective
        followers_only = {"to": [f"{s.nadia.uri}/followers"], "cc": [s.cafe.uri]}
        await send_note(rig, s, 1, tag=mention_of(s.cafe), **followers_only)
        # and in a note to the collective alone
        await send_note(rig, s, 2, tag=mention_of(s.cafe), to=[s.cafe.uri], cc=[])

        # Then neither the admin nor the facilitator is told: they may not read it
        assert await notifications_of(s.paquis, "jeanmarc") == []
        assert await notifications_of(s.paquis, "fanny") == []
        async with s.paquis.instance.database.session() as session:
            assert await session.scalar(select(Event.id)) is None


async def test_a_residents_public_mention_here_tells_who_runs_the_collective(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=PAQUIS_JONCTION) as rig:
        s = await scene(rig)
        bob = await s.paquis.actor("http://paquis.test/@bob")
        assert bob is not None
        # When bob, a member here, mentions the collective in a public post, then in a post
        # for his followers only
        async with s.paquis.instance.database.transaction() as session:
            author = await session.get(Actor, bob.id)
            assert author is not None
            uris = s.paquis.instance.uris
            public = await publish_note(session, uris, author, "Merci @repair-cafe !")
            await publish_note(
                session, uris, author, "Entre nous, @repair-cafe", visibility="followers"
            )
        await rig.drain()

        # Then the admin and the facilitator hear of the public one only
        expected = [Told("collective_mention", bob.uri, public.id, s.cafe.id)]
        assert await notifications_of(s.paquis, "jeanmarc") == expected
        assert await notifications_of(s.paquis, "fanny") == expected
