"""Cross-posting between quartiers: a Servette collective shares a Pâquis event (with a second
facilitator's approval), its followers elsewhere receive the Announce and read "via", and an
Undo takes it back; a collective that follows another gets what it publishes in its queue."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
from sqlalchemy import select

from actors import groups
from commons.events import services as events
from commons.petitions.fields import PetitionFields
from commons.petitions.services import confirm, draft_petition
from commons.shares.items import item_by_id
from commons.shares.services import share_into
from storage.models import Actor, Event, Membership, Petition, Post, Share
from storage.models.shares import EVERYONE_WAITS, SHARE_PENDING, SHARE_SHARED
from tests.federation_rig.rig import Node, Rig, federation_rig
from tests.federation_rig.steps import browser_of, follow_remote, notifications_of
from tests.federation_rig.test_groups import add_mastodon, mastodon_follower

START = datetime(2020, 12, 5, 9, 0, tzinfo=UTC)
HTML = {"Accept": "text/html", "Accept-Language": "fr"}


def shown(response: httpx2.Response) -> str:
    return html.unescape(response.text)


async def publish_event(node: Node, author: Actor, group: Actor, title: str) -> Event:
    fields = events.EventFields(
        title=title, start=START, end=datetime(2020, 12, 5, 12, 0, tzinfo=UTC),
        place_name="Maison de quartier des Pâquis", street_address="rue de Berne 50",
        postal_code="1201", locality="Genève", category="repair_cafe",
    )  # fmt: skip
    async with node.instance.database.transaction() as session:
        return await events.create_event(session, node.instance.uris, author, group, fields)


async def event_on(node: Node, uri: str) -> Event | None:
    async with node.instance.database.session() as session:
        return await session.scalar(select(Event).where(Event.uri == uri))


async def shares_on(node: Node, group_uri: str) -> list[Share]:
    async with node.instance.database.session() as session:
        return list(
            await session.scalars(
                select(Share)
                .join(Actor, Actor.id == Share.group_id)
                .where(Actor.uri == group_uri)
                .order_by(Share.id)
            )
        )


async def make_facilitator(node: Node, group: Actor, admin: Actor, person: Actor) -> None:
    async with node.instance.database.transaction() as session:
        await groups.join(session, node.instance.uris, group, person)
        await groups.change_role(session, group, admin, person.id, "facilitator")


async def post_form(
    rig: Rig, node: Node, username: str, path: str, data: dict[str, str]
) -> httpx2.Response:
    headers, csrf = await browser_of(node, username)
    return await rig.client.post(
        f"{node.settings.base_url}{path}",
        headers={**headers, **HTML},
        data={**data, "csrf_token": csrf},
    )


async def get_page(rig: Rig, node: Node, path: str) -> str:
    response = await rig.client.get(f"{node.settings.base_url}{path}", headers=HTML)
    assert response.status_code == 200, (path, response.status_code)
    return shown(response)


async def test_a_shared_event_waits_is_approved_reaches_followers_and_is_undone(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis, jonction, servette = rig["paquis.test"], rig["jonction.test"], rig["servette.test"]
        mastodon = add_mastodon(rig)
        # Given a Pâquis assembly's event, known at the Servette
        jeanmarc = await paquis.resident("jeanmarc")
        assemblee = await paquis.collective("assemblee", "jeanmarc", "assembly")
        leo = await servette.resident("leo")
        sofia = await servette.resident("sofia")
        forum = await servette.collective("forum", "leo", "assembly")
        await make_facilitator(servette, forum, leo, sofia)
        await follow_remote(servette, leo, assemblee.uri)
        await rig.drain()
        event = await publish_event(paquis, jeanmarc, assemblee, "Forum des Pâquis sur le bruit")
        await rig.drain()
        known = await event_on(servette, event.uri)
        assert known is not None
        # and the Servette forum, where every share waits, followed from Jonction and Mastodon
        nadia = await jonction.resident("nadia")
        await follow_remote(jonction, nadia, forum.uri)
        await mastodon_follower(servette, forum)
        await rig.drain()
        response = await post_form(rig, servette, "leo", "/@forum/manage/sharing",
                                   {"share_approval": EVERYONE_WAITS})  # fmt: skip
        assert response.status_code == 303

        # When Léo, a facilitator, shares the Pâquis event into the forum
        response = await post_form(rig, servette, "leo", "/shares",
            {"kind": "event", "item_id": str(known.id), "collective": "forum"})  # fmt: skip

        # Then it waits: nothing went out, and Sofia is told
        assert response.status_code == 303
        [share] = await shares_on(servette, forum.uri)
        assert share.state == SHARE_PENDING
        await rig.drain()
        assert not [a for a in mastodon.received if a["type"] == "Announce"]
        told = await notifications_of(servette, "sofia")
        assert [t.kind for t in told] == ["share_waiting"]
        headers, _csrf = await browser_of(servette, "sofia")
        queue = await rig.client.get(f"{servette.settings.base_url}/@forum/manage",
                                     headers={**headers, **HTML})  # fmt: skip
        assert "Forum des Pâquis sur le bruit" in shown(queue)

        # When Léo tries to approve his own share, he may not
        refused = await post_form(rig, servette, "leo", f"/@forum/manage/shares/{share.id}/approve",
                                  {})  # fmt: skip
        assert refused.status_code == 403
        assert "Un autre animateur ou une autre animatrice approuve" in shown(refused)

        # When Sofia approves it
        response = await post_form(rig, servette, "sofia",
                                   f"/@forum/manage/shares/{share.id}/approve", {})  # fmt: skip
        assert response.status_code == 303
        await rig.drain()

        # Then the Mastodon follower receives the forum's Announce of the event's own id
        [announce] = [a for a in mastodon.received if a["type"] == "Announce"]
        assert announce["actor"] == forum.uri
        assert announce["object"] == event.uri
        # and Jonction keeps the event, shown "via" the forum, its organiser kept
        there = await event_on(jonction, event.uri)
        assert there is not None
        page = await get_page(rig, jonction, f"/events/remote/{there.id}")
        assert "Partagé via" in page and "forum@servette.test" in page
        assert "assemblee@paquis.test" in page
        # and the forum's page at the Servette lists it, with its origin
        page = await get_page(rig, servette, "/@forum")
        assert "Forum des Pâquis sur le bruit" in page and "@assemblee@paquis.test" in page
        # and the Pâquis hears of the share of its event
        assert [s.state for s in await shares_on(paquis, forum.uri)] == [SHARE_SHARED]

        # When Sofia stops sharing it
        [share] = await shares_on(servette, forum.uri)
        response = await post_form(rig, servette, "sofia",
                                   f"/@forum/manage/shares/{share.id}/remove", {})  # fmt: skip
        assert response.status_code == 303
        await rig.drain()

        # Then an Undo of that Announce goes out and the item leaves the pages
        [undo] = [a for a in mastodon.received if a["type"] == "Undo"]
        assert undo["object"]["id"] == announce["id"]
        assert await shares_on(servette, forum.uri) == []
        assert await shares_on(jonction, forum.uri) == []
        page = await get_page(rig, jonction, f"/events/remote/{there.id}")
        assert "Partagé via" not in page
        page = await get_page(rig, servette, "/@forum")
        assert "Forum des Pâquis sur le bruit" not in page


async def test_a_collective_following_another_gets_its_new_events_in_its_queue(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, ("paquis.test", "servette.test")) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        # Given a Pâquis assembly and a city-wide assembly at the Servette
        jeanmarc = await paquis.resident("jeanmarc")
        assemblee = await paquis.collective("assemblee", "jeanmarc", "assembly")
        await servette.resident("leo")
        await servette.collective("ville", "leo", "assembly")

        # When Léo makes the city-wide assembly follow the Pâquis one by its address
        response = await post_form(rig, servette, "leo", "/@ville/manage/following",
                                   {"handle": "@assemblee@paquis.test"})  # fmt: skip
        assert response.status_code == 303
        await rig.drain()
        headers, _csrf = await browser_of(servette, "leo")
        manage = await rig.client.get(f"{servette.settings.base_url}/@ville/manage",
                                      headers={**headers, **HTML})  # fmt: skip
        assert "assemblee@paquis.test" in shown(manage)

        # and the Pâquis assembly publishes an event
        event = await publish_event(paquis, jeanmarc, assemblee, "Assemblée de quartier")
        await rig.drain()

        # Then it waits in the city-wide assembly's queue, brought by the Pâquis assembly
        ville_uri = servette.instance.uris.actor("ville")
        [share] = await shares_on(servette, ville_uri)
        assert share.state == SHARE_PENDING and share.object_uri == event.uri
        remote = await servette.actor(assemblee.uri)
        assert remote is not None and share.via_id == remote.id
        assert [t.kind for t in await notifications_of(servette, "leo")] == ["share_waiting"]
        manage = await rig.client.get(f"{servette.settings.base_url}/@ville/manage",
                                      headers={**headers, **HTML})  # fmt: skip
        assert "Assemblée de quartier" in shown(manage)

        # When the Pâquis assembly shares the event of another Pâquis collective
        await paquis.collective("repair", "jeanmarc")
        repair = await paquis.actor(paquis.instance.uris.actor("repair"))
        assert repair is not None
        repaired = await publish_event(paquis, jeanmarc, repair, "Repair Café des Pâquis")
        async with paquis.instance.database.transaction() as session:
            group = await session.get(Actor, assemblee.id)
            item = await item_by_id(session, "event", repaired.id)
            sharer = await session.get(Actor, jeanmarc.id)
            assert group is not None and item is not None and sharer is not None
            await share_into(session, paquis.instance.uris, group, sharer, item)
        await rig.drain()

        # Then its Announce brings that event to the city-wide assembly's queue too
        assert [(s.object_uri, s.state) for s in await shares_on(servette, ville_uri)] == [
            (event.uri, SHARE_PENDING), (repaired.uri, SHARE_PENDING)]  # fmt: skip

        # When Léo stops following, a new event no longer comes
        response = await post_form(rig, servette, "leo",
                                   f"/@ville/manage/following/{remote.id}/stop", {})  # fmt: skip
        assert response.status_code == 303
        await rig.drain()
        await publish_event(paquis, jeanmarc, assemblee, "Deuxième assemblée")
        await rig.drain()
        assert len(await shares_on(servette, ville_uri)) == 2


async def test_a_shared_petition_known_elsewhere_is_shown_via_the_collective_not_copied(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis, jonction, servette = rig["paquis.test"], rig["jonction.test"], rig["servette.test"]
        # Given a Pâquis assembly's petition, which Jonction and the Servette both keep
        jeanmarc = await paquis.resident("jeanmarc")
        karim = await paquis.resident("karim")
        assemblee = await paquis.collective("assemblee", "jeanmarc", "assembly")
        nadia = await jonction.resident("nadia")
        leo = await servette.resident("leo")
        forum = await servette.collective("forum", "leo", "assembly")
        await follow_remote(jonction, nadia, assemblee.uri)
        await follow_remote(servette, leo, assemblee.uri)
        await follow_remote(jonction, nadia, forum.uri)
        await rig.drain()
        terms = PetitionFields(
            title="Des bancs place de la Navigation", text="Pour s’asseoir.",
            deadline=datetime.now(UTC) + timedelta(days=20), goal=100,
        )  # fmt: skip
        async with paquis.instance.database.transaction() as session:
            people = [await session.get(Actor, p.id) for p in (jeanmarc, karim, assemblee)]
            drafter, confirmer, group = people
            assert drafter is not None and confirmer is not None and group is not None
            uris = paquis.instance.uris
            session.add(Membership(group_id=group.id, member_id=confirmer.id, role="member"))
            await session.flush()
            petition = await draft_petition(session, uris, drafter, group, terms, [confirmer])
            await confirm(session, uris, confirmer, petition)
        await rig.drain()
        kept = await petition_on(servette, petition.uri)
        assert kept is not None and await petition_on(jonction, petition.uri) is not None

        # When Léo shares it into the forum
        response = await post_form(rig, servette, "leo", "/shares",
            {"kind": "petition", "item_id": str(kept.id), "collective": "forum"})  # fmt: skip
        assert response.status_code == 303
        await rig.drain()

        # Then Jonction shows its own copy "via" the forum, and keeps no post of it beside
        there = await petition_on(jonction, petition.uri)
        assert there is not None
        page = await get_page(rig, jonction, f"/petitions/remote/{there.id}")
        assert "Partagé via" in page and "forum@servette.test" in page
        async with jonction.instance.database.session() as session:
            assert await session.scalar(select(Post.id).where(Post.uri == petition.uri)) is None


async def petition_on(node: Node, uri: str) -> Petition | None:
    async with node.instance.database.session() as session:
        return await session.scalar(select(Petition).where(Petition.uri == uri))
