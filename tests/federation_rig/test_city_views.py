"""The city as any of its quartiers shows it: three quartiers that federate with each other show
the same agenda and marketplace, each item labelled with the name of its quartier and opening
on a local page; a reader narrows a view to one quartier; an admin leaves one out."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

from actors import quartier_federation as federation
from actors.neighbour_descriptions import NeighbourDescriptions
from actors.services import create_group
from commons.events import services as events
from commons.offers import services as offers
from commons.offers.fields import OfferFields
from storage.models import Actor
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.test_quartier_federation import act
from tests.federation_rig.test_replies import browser
from tests.webui.web_support import log_in_as

HOSTS = ("paquis.test", "jonction.test", "servette.test")
START = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=5)


def shown(text: str) -> str:
    return html.unescape(text)


async def publish_in(node: Node, collective: Actor, owner: Actor, title: str) -> None:
    """An event and an offer of ``collective``, both called ``title``."""
    uris = node.instance.uris
    start = START
    when = events.EventFields(title=title, start=start, end=start + timedelta(hours=2),
                              place_name="Salle commune", latitude=46.2, longitude=6.14)  # fmt: skip
    async with node.instance.database.transaction() as session:
        person = await session.get(Actor, owner.id)
        group = await session.get(Actor, collective.id)
        assert person is not None and group is not None
        await events.create_event(session, uris, person, group, when)
        fields = OfferFields(kind="pret", title=title, description="À emprunter.")
        await offers.publish_offer(session, uris, person, group, fields)


async def city_agenda(node: Node, **params: str) -> str:
    async with browser(node) as web:
        query = {"view": "month", "date": START.date().isoformat(), **params}
        page = await web.get("/agenda/city", params=query, headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    return shown(page.text)


async def city_collectives(node: Node, **params: str) -> str:
    async with browser(node) as web:
        page = await web.get("/collectives", params={"scope": "city", **params},
                             headers={"Accept-Language": "fr"})  # fmt: skip
    assert page.status_code == 200
    return shown(page.text)


async def city_offers(node: Node, **params: str) -> str:
    async with browser(node) as web:
        page = await web.get("/offers", params={"scope": "city", **params},
                             headers={"Accept-Language": "fr"})  # fmt: skip
    assert page.status_code == 200
    return shown(page.text)


def titles(page: str) -> set[str]:
    return set(re.findall(r">Atelier de (\w+)</a>", page))


async def test_three_federated_quartiers_show_the_same_city(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        nodes = [rig[host] for host in HOSTS]
        jonction, servette = rig["jonction.test"], rig["servette.test"]
        # Given three quartiers that all federate with each other
        for one, other in combinations(nodes, 2):
            await act(one, federation.propose, other.settings.server.domain)
            await rig.drain()
            await act(other, federation.accept, one.settings.server.domain)
            await rig.drain()
        for node in nodes:
            described = NeighbourDescriptions(node.instance.database, node.instance.federation)
            assert await described.run_once() == 2

        # When a collective of each publishes an event and an offer, followed by no resident
        for node in nodes:
            name = node.settings.server.domain.split(".")[0]
            owner = await node.resident(f"anim-{name}")
            async with node.instance.database.transaction() as session:
                collective = await create_group(
                    session, node.settings, f"atelier-{name}", "space", owner.username,
                    display_name=f"Atelier de {name}",
                )  # fmt: skip
            await publish_in(node, collective, owner, f"Atelier de {name}")
        await rig.drain()

        # Then every quartier shows the same city: the three events and the three offers
        everything = {"paquis", "jonction", "servette"}
        for node in nodes:
            assert titles(await city_agenda(node)) == everything
            assert titles(await city_offers(node)) == everything
            assert titles(await city_collectives(node)) == everything

        # And another quartier's event is labelled with its name, not its host, and opens on a
        # local page where a resident answers it, with a link to the original
        page = await city_agenda(servette)
        assert "Quartier Paquis" in page
        assert "paquis.test" not in re.sub(r'(href|value)="[^"]*"', "", page)
        link = re.search(r'href="(/events/remote/\d+)"[^>]*>Atelier de paquis', page)
        assert link is not None
        async with browser(servette) as web:
            await log_in_as(web, servette.settings, servette.instance.database, "ines")
            event_page = shown((await web.get(link.group(1))).text)
        assert "Quartier Paquis" in event_page
        assert f'action="{link.group(1)}/rsvp"' in event_page
        assert 'href="http://paquis.test/events/' in event_page
        offers_page = await city_offers(servette)
        label = '<span class="quartier-label">Quartier Paquis</span>'
        assert f"Atelier de paquis · {label}" in offers_page
        async with browser(servette) as web:
            map_page = shown((await web.get("/map", headers={"Accept-Language": "fr"})).text)
        assert '"organiser": "Atelier de paquis · Quartier Paquis"' in map_page.replace(
            '":"', '": "'
        )
        collectives_page = await city_collectives(servette)
        assert f"@atelier-paquis@paquis.test · {label}" in collectives_page

        # When a reader narrows the city to the Pâquis
        narrowed = await city_agenda(servette, quartier="paquis.test")
        # Then only its event is there, and the filter offers the three quartiers by name
        assert titles(narrowed) == {"paquis"}
        assert titles(await city_offers(servette, quartier="paquis.test")) == {"paquis"}
        assert titles(await city_collectives(servette, quartier="paquis.test")) == {"paquis"}
        async with browser(servette) as web:
            narrowed_map = shown((await web.get("/map?quartier=paquis.test")).text)
        assert "Atelier de paquis" in narrowed_map and "Atelier de servette" not in narrowed_map
        assert '<option value="paquis.test" selected>Quartier Paquis</option>' in narrowed
        assert '<option value="servette.test">Quartier Servette</option>' in narrowed

        # When the Servette's admin leaves the Jonction out of its city views
        async with browser(servette) as web:
            admin = await log_in_as(
                web, servette.settings, servette.instance.database, "leo", admin=True
            )
            admin_page = shown((await web.get("/admin/quartiers")).text)
            assert "Quartier Jonction" in admin_page
            answer = await web.post(
                "/admin/quartiers/city-views",
                data={"csrf_token": admin.csrf, "quartier": "jonction.test", "shown": "0"},
            )
            assert answer.status_code == 303
        # Then the Jonction's event and offer leave them, while the Jonction still shows all
        assert titles(await city_agenda(servette)) == {"paquis", "servette"}
        assert titles(await city_offers(servette)) == {"paquis", "servette"}
        assert titles(await city_collectives(servette)) == {"paquis", "servette"}
        async with browser(servette) as web:
            map_page = shown((await web.get("/map")).text)
        assert "Atelier de paquis" in map_page and "Atelier de jonction" not in map_page
        assert titles(await city_agenda(jonction)) == everything
        async with browser(servette) as web:
            await log_in_as(web, servette.settings, servette.instance.database, "zoe")
            filter_page = shown((await web.get("/agenda/city")).text)
        assert "Quartier Jonction" not in filter_page

        # And a quartier it does not know cannot be changed
        async with browser(servette) as web:
            admin = await log_in_as(
                web, servette.settings, servette.instance.database, "mona", admin=True
            )
            unknown = await web.post(
                "/admin/quartiers/city-views",
                data={"csrf_token": admin.csrf, "quartier": "ailleurs.test", "shown": "0"},
            )
        assert unknown.status_code == 404
