"""Two quartiers federate: their instance actors follow each other and relay their collectives'
public activities, so a collective's event reaches the other quartier's city agenda though no
resident there follows it; either side pauses, resumes or ends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
from sqlalchemy import select

from actors import quartier_federation as federation
from actors.quartier_federation import Link
from commons.events import services as events
from commons.posts.services import publish_note
from storage.models import Actor, Event, Post
from tests.federation_rig.rig import Node, federation_rig

HOSTS = ("paquis.test", "servette.test")


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

        # When the Servette pauses it, nothing goes either way
        await act(servette, federation.pause, "paquis.test")
        await rig.drain()
        assert await links(servette) == {"paquis.test": Link.PAUSED}
        assert await links(paquis) == {"servette.test": Link.PAUSED_THERE}
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
