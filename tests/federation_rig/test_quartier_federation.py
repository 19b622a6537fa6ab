"""Two quartiers federate: their instance actors follow each other and relay their collectives'
public activities, so a collective's event reaches the other quartier's city agenda though no
resident there follows it; either side pauses, resumes or ends it."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
from sqlalchemy import select

from actors import quartier_federation as federation
from actors.quartier_federation import Link
from commons.events import services as events
from commons.petitions.fields import PetitionFields
from commons.petitions.services import confirm, draft_petition
from commons.posts.services import publish_note
from storage.models import Actor, Event, Membership, Post
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote
from tests.federation_rig.test_replies import browser
from tests.webui.web_support import log_in_as

HOSTS = ("paquis.test", "servette.test")


def shown(response: httpx2.Response) -> str:
    """The page's text as a reader sees it (entities such as ``&#39;`` read back)."""
    return html.unescape(response.text)


async def directory(node: Node) -> list[tuple[str, bool]]:
    async with browser(node) as web:
        document = (await web.get("/quartiers.json")).json()
    return [(quartier["domain"], quartier["federated"]) for quartier in document["neighbours"]]


async def their_instance(node: Node, host: str) -> Actor:
    return await node.instance.remote_actors.by_handle("instance", host)


async def links(node: Node) -> dict[str, Link]:
    async with node.instance.database.session() as session:
        here = await federation.instance_actor_of(session)
        found = await federation.federations(session, here)
    return {f.quartier.domain: f.link for f in found}


async def act(node: Node, change: federation.Change, host: str) -> None:
    there = await their_instance(node, host)
    async with node.instance.database.transaction() as session:
        here = await federation.instance_actor_of(session)
        await change(session, node.instance.uris, here, there)


async def post_by(node: Node, collective: Actor, text: str) -> str:
    async with node.instance.database.transaction() as session:
        author = await session.get(Actor, collective.id)
        assert author is not None
        return (await publish_note(session, node.instance.uris, author, text)).uri


async def has_post(node: Node, uri: str) -> bool:
    async with node.instance.database.session() as session:
        return await session.scalar(select(Post.id).where(Post.uri == uri)) is not None


async def test_two_quartiers_federate_pause_resume_and_end(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        jeanmarc = await paquis.resident("jeanmarc")
        cafe = await paquis.collective("cafe", "jeanmarc")
        await servette.resident("ines")

        # When the Pâquis proposes federation to the Servette
        await act(paquis, federation.propose, "servette.test")
        await rig.drain()
        # Then the Servette's admin is asked, and nothing is relayed yet
        assert await links(paquis) == {"servette.test": Link.PROPOSED}
        assert await links(servette) == {"paquis.test": Link.ASKED}
        early = await post_by(paquis, cafe, "Avant la fédération")
        await rig.drain()
        assert not await has_post(servette, early)

        # When the Servette accepts
        await act(servette, federation.accept, "paquis.test")
        await rig.drain()
        assert await links(paquis) == {"servette.test": Link.FEDERATED}
        assert await links(servette) == {"paquis.test": Link.FEDERATED}

        # Then an event of the Pâquis café reaches the Servette's city agenda, followed by nobody
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        fields = events.EventFields(
            title="Repair Café fédéré", start=start, end=start + timedelta(hours=3),
            place_name="Maison de quartier des Pâquis",
        )  # fmt: skip
        async with paquis.instance.database.transaction() as session:
            author = await session.get(Actor, jeanmarc.id)
            group = await session.get(Actor, cafe.id)
            assert author is not None and group is not None
            event = await events.create_event(session, paquis.instance.uris, author, group, fields)
        await rig.drain()
        async with servette.instance.database.session() as session:
            assert await session.scalar(select(Event.id).where(Event.uri == event.uri)) is not None
        transport = httpx2.ASGITransport(app=servette.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://servette.test") as web:
            agenda = await web.get(
                "/agenda/city", params={"view": "month", "date": start.date().isoformat()}
            )
        assert agenda.status_code == 200 and "Repair Café fédéré" in agenda.text
        # And so does a petition of a Pâquis assembly, to the Servette's petitions
        karim = await paquis.resident("karim")
        assembly = await paquis.collective("assemblee", "jeanmarc", "assembly")
        async with paquis.instance.database.transaction() as session:
            session.add(Membership(group_id=assembly.id, member_id=karim.id, role="member"))
        terms = PetitionFields(
            title="Des bancs place de la Navigation", text="Pour s’asseoir.",
            deadline=datetime.now(UTC) + timedelta(days=20), goal=100,
        )  # fmt: skip
        async with paquis.instance.database.transaction() as session:
            people = [await session.get(Actor, person.id) for person in (jeanmarc, karim, assembly)]
            drafter, confirmer, group = people
            assert drafter is not None and confirmer is not None and group is not None
            uris = paquis.instance.uris
            petition = await draft_petition(session, uris, drafter, group, terms, [confirmer])
            await confirm(session, uris, confirmer, petition)
        await rig.drain()
        async with browser(servette) as web:
            listed = await web.get("/petitions", headers={"Accept-Language": "fr"})
            narrowed = await web.get("/petitions?quartier=paquis.test")
            elsewhere = await web.get("/petitions?quartier=jonction.test")
        assert "Des bancs place de la Navigation" in shown(listed)
        assert "Des bancs place de la Navigation" in shown(narrowed)
        assert "Des bancs place de la Navigation" not in shown(elsewhere)

        # And each lists the other in its directory as federated
        assert await directory(servette) == [("paquis.test", True)]
        assert await directory(paquis) == [("servette.test", True)]

        # When the Servette pauses it, nothing goes either way
        await act(servette, federation.pause, "paquis.test")
        await rig.drain()
        assert await links(servette) == {"paquis.test": Link.PAUSED}
        assert await links(paquis) == {"servette.test": Link.PAUSED_THERE}
        assert await directory(servette) == [("paquis.test", False)]
        paused = await post_by(paquis, cafe, "Pendant la pause")
        await rig.drain()
        assert not await has_post(servette, paused)

        # When it resumes, posts come again
        await act(servette, federation.resume, "paquis.test")
        await rig.drain()
        assert await links(servette) == {"paquis.test": Link.FEDERATED}
        assert await links(paquis) == {"servette.test": Link.FEDERATED}
        resumed = await post_by(paquis, cafe, "Après la pause")
        await rig.drain()
        assert await has_post(servette, resumed)

        # When the Pâquis ends it, both forget it
        await act(paquis, federation.end, "servette.test")
        await rig.drain()
        assert await links(paquis) == {} and await links(servette) == {}
        ended = await post_by(paquis, cafe, "Après la fin")
        await rig.drain()
        assert not await has_post(servette, ended)


async def test_a_quartier_that_declines_is_not_sent_anything(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("cafe", "jeanmarc")
        await act(servette, federation.propose, "paquis.test")
        await rig.drain()
        await act(paquis, federation.decline, "servette.test")
        await rig.drain()
        assert await links(paquis) == {} and await links(servette) == {}
        post = await post_by(paquis, cafe, "Pas pour la Servette")
        await rig.drain()
        assert not await has_post(servette, post)

        # And a person who follows the instance actor waits for the admin too; once accepted,
        # she receives the collectives' activities and nothing is followed back
        ines = await servette.resident("ines")
        await follow_remote(servette, ines, "http://paquis.test/actor")
        await rig.drain()
        ines_uri = ines.uri
        async with paquis.instance.database.session() as session:
            here = await federation.instance_actor_of(session)
            asked = await federation.federations(session, here)
        assert [(f.quartier.uri, f.link) for f in asked] == [(ines_uri, Link.ASKED)]
        there = asked[0].quartier
        async with paquis.instance.database.transaction() as session:
            here = await federation.instance_actor_of(session)
            await federation.accept(session, paquis.instance.uris, here, there)
        await rig.drain()
        async with paquis.instance.database.session() as session:
            here = await federation.instance_actor_of(session)
            assert [f.link for f in await federation.federations(session, here)] == [
                Link.FOLLOWS_US
            ]
        relayed = await post_by(paquis, cafe, "Pour Inès")
        await rig.drain()
        assert await has_post(servette, relayed)


async def test_admins_propose_and_accept_federation_from_their_pages(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        async with browser(paquis) as amelie_web, browser(servette) as leo_web:
            amelie = await log_in_as(
                amelie_web, paquis.settings, paquis.instance.database, "amelie", admin=True
            )
            leo = await log_in_as(
                leo_web, servette.settings, servette.instance.database, "leo", admin=True
            )
            # When Amélie mistypes the address, then gives the Servette's
            refused = await amelie_web.post(
                "/admin/quartiers", data={"csrf_token": amelie.csrf, "address": "pas une adresse"}
            )
            assert refused.status_code == 400
            assert "Indiquez l'adresse d'un quartier" in shown(refused)
            assert 'value="pas une adresse"' in shown(refused)
            unknown = await amelie_web.post(
                "/admin/quartiers", data={"csrf_token": amelie.csrf, "address": "ailleurs.test"}
            )
            assert "Aucun serveur de quartier ne répond" in shown(unknown)
            own = await amelie_web.post(
                "/admin/quartiers", data={"csrf_token": amelie.csrf, "address": "paquis.test"}
            )
            assert "C'est notre propre adresse" in shown(own)
            proposed = await amelie_web.post(
                "/admin/quartiers",
                data={"csrf_token": amelie.csrf, "address": "https://Servette.test/"},
            )
            assert proposed.status_code == 303
            await rig.drain()
            page = await amelie_web.get("/admin/quartiers")
            assert "Fédération proposée à servette.test" in shown(page)
            assert "En attente de leur réponse" in shown(page)

            # Then Léo sees the proposal and accepts it
            asked = await leo_web.get("/admin/quartiers")
            assert "Demandes d'autres quartiers" in shown(asked) and "paquis.test" in shown(asked)
            accepted = await leo_web.post(
                "/admin/quartiers/accept",
                data={"csrf_token": leo.csrf, "quartier": "http://paquis.test/actor"},
            )
            assert accepted.status_code == 303
            await rig.drain()
            for web in (amelie_web, leo_web):
                page = await web.get("/admin/quartiers")
                assert "Fédérés" in shown(page) and "Mettre en pause" in shown(page)

            # And a change without the form's token, or by a resident who is not admin, is refused
            forged = await leo_web.post(
                "/admin/quartiers/end", data={"quartier": "http://paquis.test/actor"}
            )
            assert forged.status_code == 403
        async with browser(servette) as ines_web:
            ines = await log_in_as(ines_web, servette.settings, servette.instance.database, "ines")
            denied = await ines_web.post(
                "/admin/quartiers/end",
                data={"csrf_token": ines.csrf, "quartier": "http://paquis.test/actor"},
            )
            assert denied.status_code == 403
        assert await links(servette) == {"paquis.test": Link.FEDERATED}
