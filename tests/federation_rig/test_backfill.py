"""When two quartiers federate, each reads what the other's collectives published before (the
other's quartier outbox, page after page) and keeps it as if it had been delivered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import func, select

from actors import quartier_federation as federation
from actors.backfills import start_backfill
from commons.events import services as events
from inbox.backfill import NeighbourBackfill
from storage.blocks import block_domain
from storage.models import Actor, Backfill, Event, InboxItem, Post
from storage.models.queue import DONE, FAILED, QUEUED
from tests.federation_rig.rig import Node, Rig, federation_rig
from tests.federation_rig.test_quartier_federation import act, post_by, shown, their_instance
from tests.federation_rig.test_replies import browser
from tests.webui.web_support import log_in_as

HOSTS = ("paquis.test", "servette.test")
OUTBOX = "http://paquis.test/actor/outbox"


async def federate(rig: Rig) -> None:
    """The Servette proposes, the Pâquis accepts. (The inbox worker applies one activity of a
    sender per round, hence more rounds for a collective's many activities.)"""
    await act(rig["servette.test"], federation.propose, "paquis.test")
    await rig.drain()
    await act(rig["paquis.test"], federation.accept, "servette.test")
    await rig.drain(max_rounds=200)


async def backfill_of(node: Node, host: str) -> Backfill:
    async with node.instance.database.session() as session:
        there = await session.scalar(
            select(Actor).where(Actor.uri == f"http://{host}/actor", Actor.is_local.is_(False))
        )
        assert there is not None
        row = await session.scalar(select(Backfill).where(Backfill.neighbour_id == there.id))
    assert row is not None
    return row


async def posts_from(node: Node, prefix: str) -> set[str]:
    async with node.instance.database.session() as session:
        found = await session.scalars(select(Post.uri).where(Post.uri.startswith(prefix)))
        return set(found)


async def count(node: Node, model: Any) -> int:
    async with node.instance.database.session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


class Rewriting(httpx2.AsyncBaseTransport):
    """Stands in front of one instance: answers its outbox with ``status``, or passes each of
    its outbox pages through ``rewrite``."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, *, status: int | None = None,
                 rewrite: Any = None) -> None:  # fmt: skip
        self.inner = inner
        self.status = status
        self.rewrite = rewrite

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path != "/actor/outbox":
            return await self.inner.handle_async_request(request)
        if self.status is not None:
            return httpx2.Response(self.status, text="indisponible")
        response = await self.inner.handle_async_request(request)
        document = json.loads(await response.aread())
        if self.rewrite is not None and "orderedItems" in document:
            document = self.rewrite(document)
        return httpx2.Response(
            200, json=document, headers={"Content-Type": "application/activity+json"}
        )


async def test_a_quartier_that_joins_gets_the_recent_posts_and_events_of_its_neighbour(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        # Given a Pâquis collective that published posts and an event before any federation
        jeanmarc = await paquis.resident("jeanmarc")
        cafe = await paquis.collective("cafe", "jeanmarc")
        posts = [await post_by(paquis, cafe, f"Nouvelles du café n°{n}") for n in range(3)]
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=4)
        fields = events.EventFields(
            title="Repair Café d'avant", start=start, end=start + timedelta(hours=2),
            place_name="Maison de quartier des Pâquis",
        )  # fmt: skip
        async with paquis.instance.database.transaction() as session:
            author = await session.get(Actor, jeanmarc.id)
            group = await session.get(Actor, cafe.id)
            assert author is not None and group is not None
            event = await events.create_event(session, paquis.instance.uris, author, group, fields)
        await rig.drain()
        assert await posts_from(servette, "http://paquis.test/") == set()

        # When the Servette proposes federation and the Pâquis accepts
        await federate(rig)

        # Then the Servette has them, though none of its residents follows the café
        assert await posts_from(servette, "http://paquis.test/") == set(posts)
        async with servette.instance.database.session() as session:
            assert await session.scalar(select(Event.id).where(Event.uri == event.uri))
        async with browser(servette) as web:
            agenda = await web.get(
                "/agenda/city", params={"view": "month", "date": start.date().isoformat()}
            )
        assert "Repair Café d'avant" in shown(agenda)
        # And the reading is finished, with its count, on both sides
        done = await backfill_of(servette, "paquis.test")
        assert (done.state, done.items_done, done.items_skipped) == (DONE, 4, 0)
        assert (await backfill_of(paquis, "servette.test")).state == DONE
        async with browser(servette) as web:
            await log_in_as(web, servette.settings, servette.instance.database, "leo", admin=True)
            page = await web.get("/admin/quartiers", headers={"Accept-Language": "fr"})
        assert "Récupération terminée : 4 éléments." in shown(page)
        # And with nothing left to read, a round of the worker writes nothing: the pages kept
        # for visitors stay kept
        commits = servette.instance.database.commits
        assert await servette.backfill.run_once() == 0
        assert servette.instance.database.commits == commits

        # When the reading runs again, nothing is stored twice
        items, stored = await count(servette, InboxItem), await count(servette, Post)
        there = await their_instance(servette, "paquis.test")
        async with servette.instance.database.transaction() as session:
            await start_backfill(session, there)
        await rig.drain()
        assert (await backfill_of(servette, "paquis.test")).state == DONE
        assert (await count(servette, InboxItem), await count(servette, Post)) == (items, stored)


async def test_the_reading_goes_page_by_page_within_its_bound_and_resumes_after_a_restart(
    tmp_path: Path, database_kind: str
) -> None:
    bound = {"servette.test": {"backfill_max_items": 55}}
    async with federation_rig(tmp_path, database_kind, HOSTS, federation=bound) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("cafe", "jeanmarc")
        posts = [await post_by(paquis, cafe, f"Annonce {n}") for n in range(60)]

        # When they federate, the Servette reads 55 of the 60, the newest, over two pages
        await federate(rig)
        done = await backfill_of(servette, "paquis.test")
        assert (done.state, done.items_done, done.pages_read) == (DONE, 55, 2)
        assert await posts_from(servette, "http://paquis.test/") == set(posts[5:])

        # When a reading is stopped after its first page (a restart), a new worker resumes it
        # at the second page, without reading the first again
        there = await their_instance(servette, "paquis.test")
        async with servette.instance.database.transaction() as session:
            await start_backfill(session, there)
        assert await servette.backfill.run_once() == 1
        halfway = await backfill_of(servette, "paquis.test")
        assert (halfway.state, halfway.pages_read, halfway.items_done) == (QUEUED, 1, 50)
        async with browser(servette) as web:
            await log_in_as(web, servette.settings, servette.instance.database, "leo", admin=True)
            page = await web.get("/admin/quartiers", headers={"Accept-Language": "fr"})
        assert "Récupération : 50 éléments…" in shown(page)
        first_reads = rig.gets_of(f"{OUTBOX}?page=1")
        assert await NeighbourBackfill(servette.instance).run_once() == 1
        await rig.drain(max_rounds=200)
        assert rig.gets_of(f"{OUTBOX}?page=1") == first_reads
        resumed = await backfill_of(servette, "paquis.test")
        assert (resumed.state, resumed.pages_read, resumed.items_done) == (DONE, 2, 55)


async def test_an_activity_not_on_the_neighbours_origin_is_not_taken(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, (*HOSTS, "jonction.test")) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("cafe", "jeanmarc")
        real = await post_by(paquis, cafe, "Vraie nouvelle")
        forged = [
            {"id": "http://jonction.test/activities/1", "type": "Create", "actor": cafe.uri,
             "to": ["https://www.w3.org/ns/activitystreams#Public"],
             "object": {"id": "http://jonction.test/posts/1", "type": "Note",
                        "attributedTo": cafe.uri, "content": "Fausse nouvelle"}},
            {"id": "http://paquis.test/activities/2", "type": "Create",
             "actor": "http://jonction.test/@mallory",
             "to": ["https://www.w3.org/ns/activitystreams#Public"],
             "object": {"id": "http://paquis.test/posts/2", "type": "Note",
                        "attributedTo": "http://jonction.test/@mallory", "content": "Fausse"}},
        ]  # fmt: skip

        def inject(document: dict[str, Any]) -> dict[str, Any]:
            document["orderedItems"] = forged + document["orderedItems"]
            return document

        assert rig.router is not None
        rig.router.transports["paquis.test"] = Rewriting(
            rig.router.transports["paquis.test"], rewrite=inject
        )
        await federate(rig)

        done = await backfill_of(servette, "paquis.test")
        assert (done.state, done.items_done, done.items_skipped) == (DONE, 1, 2)
        assert await posts_from(servette, "http://paquis.test/") == {real}
        assert await posts_from(servette, "http://jonction.test/") == set()


async def test_a_neighbour_that_answers_an_error_fails_the_reading_with_its_reason(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        await paquis.resident("jeanmarc")
        await paquis.collective("cafe", "jeanmarc")
        assert rig.router is not None
        front = Rewriting(rig.router.transports["paquis.test"], status=503)
        rig.router.transports["paquis.test"] = front

        # When they federate while the Pâquis answers 503, the reading is tried again later
        await federate(rig)
        waiting = await backfill_of(servette, "paquis.test")
        assert (waiting.state, waiting.attempts, waiting.failure) == (QUEUED, 1, "status")
        # Then, still 503 an hour later and after, it fails with its reason
        later = datetime.now(UTC) + timedelta(hours=1)
        for hours in range(3):
            await servette.backfill.run_once(later + timedelta(hours=hours))
        failed = await backfill_of(servette, "paquis.test")
        assert (failed.state, failed.last_error) == (FAILED, "HTTP 503")

        # And a 404 fails it at once
        front.status = 404
        there = await their_instance(servette, "paquis.test")
        async with servette.instance.database.transaction() as session:
            await start_backfill(session, there)
        assert await servette.backfill.run_once() == 1
        assert (await backfill_of(servette, "paquis.test")).state == FAILED

        # And the admin reads why on the federation page, which does not break
        async with browser(servette) as web:
            await log_in_as(web, servette.settings, servette.instance.database, "leo", admin=True)
            page = await web.get("/admin/quartiers", headers={"Accept-Language": "fr"})
        assert page.status_code == 200
        assert (
            "Échec de la récupération : leur serveur a répondu par une erreur (HTTP 404)"
            in shown(page)
        )

        # And once the Pâquis is blocked here, it is not even asked
        async with servette.instance.database.transaction() as session:
            await block_domain(session, "paquis.test")
            await start_backfill(session, there)
        servette.instance.blocks.invalidate()
        reads = rig.gets_of(OUTBOX)
        assert await servette.backfill.run_once() == 1
        blocked = await backfill_of(servette, "paquis.test")
        assert (blocked.state, blocked.failure) == (FAILED, "blocked")
        assert rig.gets_of(OUTBOX) == reads


async def test_a_reading_waits_while_federation_is_paused_and_ends_with_it(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("cafe", "jeanmarc")
        await post_by(paquis, cafe, "Avant")
        await federate(rig)
        there = await their_instance(servette, "paquis.test")

        # When the Servette pauses federation, a reading started again waits, reading nothing
        await act(servette, federation.pause, "paquis.test")
        await rig.drain()
        async with servette.instance.database.transaction() as session:
            await start_backfill(session, there)
        reads = rig.gets_of(f"{OUTBOX}?page=1")
        assert await servette.backfill.run_once() == 0
        assert (await backfill_of(servette, "paquis.test")).state == QUEUED
        assert rig.gets_of(f"{OUTBOX}?page=1") == reads

        # When federation ends, the reading ends as failed, and reads nothing more
        await act(servette, federation.end, "paquis.test")
        await rig.drain()
        later = datetime.now(UTC) + timedelta(hours=1)
        assert await servette.backfill.run_once(later) == 1
        ended = await backfill_of(servette, "paquis.test")
        assert (ended.state, ended.failure) == (FAILED, "ended")
        assert rig.gets_of(f"{OUTBOX}?page=1") == reads
