"""A limited domain: what it sends still arrives and reaches its followers' home timeline, but
stays out of the city's shared views, and its mentions reach only those who follow it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2

from commons.events import services as events
from commons.offers import services as offers
from commons.offers.fields import OfferFields
from commons.posts.services import publish_note
from storage.models import Actor
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote, notifications_of
from tests.federation_rig.test_quartier_federation import has_post, shown
from tests.federation_rig.test_replies import browser
from tests.webui.web_support import Resident, log_in_as

HOSTS = ("paquis.test", "jonction.test")


async def say(web: httpx2.AsyncClient, writer: Resident, text: str) -> None:
    answer = await web.post(
        "/compose", data={"csrf_token": writer.csrf, "text": text, "visibility": "public"}
    )
    assert answer.status_code == 303


async def publish_everything(node: Node, person: Actor, group: Actor, title: str) -> str:
    """A post, an event and an offer of ``group``; the post's id."""
    async with node.instance.database.transaction() as session:
        collective = await session.get(Actor, group.id)
        assert collective is not None
        post = await publish_note(session, node.instance.uris, collective, f"Atelier {title}")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    fields = events.EventFields(
        title=f"Fête {title}", start=start, end=start + timedelta(hours=2), place_name="Parc"
    )
    async with node.instance.database.transaction() as session:
        author = await session.get(Actor, person.id)
        collective = await session.get(Actor, group.id)
        assert author is not None and collective is not None
        await events.create_event(session, node.instance.uris, author, collective, fields)
        offer = OfferFields(kind="don", title=f"Confiture {title}")
        await offers.publish_offer(session, node.instance.uris, author, collective, offer)
    return post.uri


async def city_views(web: httpx2.AsyncClient) -> str:
    """What a resident reads in the city's timeline, agenda (this month and next) and offers."""
    today = datetime.now(UTC).date()
    pages = [
        await web.get("/city"),
        await web.get("/agenda/city", params={"view": "month", "date": today.isoformat()}),
        await web.get(
            "/agenda/city",
            params={"view": "month", "date": (today + timedelta(days=3)).isoformat()},
        ),
        await web.get("/offers", params={"scope": "city"}),
    ]
    assert all(page.status_code == 200 for page in pages)
    return "\n".join(shown(page) for page in pages)


async def test_a_limited_domain_reaches_its_followers_only(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        async with (
            browser(paquis) as bruno_web,
            browser(paquis) as amelie_web,
            browser(jonction) as jules_web,
            browser(paquis) as ada_web,
        ):
            await log_in_as(bruno_web, paquis.settings, paquis.instance.database, "bruno")
            amelie = await log_in_as(
                amelie_web, paquis.settings, paquis.instance.database, "amelie"
            )
            jules = await log_in_as(
                jules_web, jonction.settings, jonction.instance.database, "jules"
            )
            ada = await log_in_as(
                ada_web, paquis.settings, paquis.instance.database, "ada", admin=True
            )
            atelier = await jonction.collective("atelier", "jules")
            # Given Amélie of the Pâquis following Jules of the Jonction and his collective;
            # Bruno follows nobody there
            await follow_remote(paquis, amelie.actor, jules.actor.uri)
            await follow_remote(paquis, amelie.actor, atelier.uri)
            await rig.drain()

            # And, before any limit, what the Jonction publishes fills the city's views
            await say(jules_web, jules, "@bruno@paquis.test @amelie@paquis.test Avant")
            await publish_everything(jonction, jules.actor, atelier, "d'avant")
            await rig.drain()
            seen = await city_views(bruno_web)
            assert "Atelier d'avant" in seen
            assert "Fête d'avant" in seen
            assert "Confiture d'avant" in seen
            assert [n.kind for n in await notifications_of(paquis, "bruno")] == ["mention"]

            # When Ada, admin of the Pâquis, limits the Jonction
            limited = await ada_web.post(
                "/admin/domains",
                data={"csrf_token": ada.csrf, "domain": "jonction.test", "severity": "limit"},
            )
            assert limited.status_code == 303
            assert "jonction.test est limité" in shown(await ada_web.get("/admin/domains"))

            # And Jules writes again, mentioning both, and publishes an event and an offer
            await say(jules_web, jules, "@bruno@paquis.test @amelie@paquis.test Pendant")
            during = await publish_everything(jonction, jules.actor, atelier, "limitée")
            await rig.drain()

            # Then it arrives (a limit is no block), and reaches Amélie's home timeline
            assert await has_post(paquis, during)
            home = shown(await amelie_web.get("/home"))
            assert "Atelier limitée" in home

            # But none of it is in the city's timeline, agenda or offers that Bruno reads
            seen = await city_views(bruno_web)
            assert "Atelier limitée" not in seen and "Atelier d'avant" not in seen
            assert "Fête limitée" not in seen and "Confiture limitée" not in seen
            # (what came before is left out too, while the limit lasts)
            assert "Fête d'avant" not in seen and "Confiture d'avant" not in seen

            # And the mention tells Amélie, who follows Jules, but not Bruno
            assert [n.kind for n in await notifications_of(paquis, "bruno")] == ["mention"]
            assert [n.kind for n in await notifications_of(paquis, "amelie")] == [
                "mention",
                "mention",
            ]

            # When Ada suspends the Jonction instead, then lifts the block
            await ada_web.post(
                "/admin/domains/severity",
                data={"csrf_token": ada.csrf, "domain": "jonction.test", "severity": "suspend"},
            )
            assert "suspendu" in shown(await ada_web.get("/admin/domains"))
            await ada_web.post(
                "/admin/domains/remove",
                data={"csrf_token": ada.csrf, "domain": "jonction.test"},
            )

            # Then the city shows the Jonction again
            seen = await city_views(bruno_web)
            assert "Atelier limitée" in seen
            assert "Fête limitée" in seen and "Confiture limitée" in seen
