"""The city's directory: each quartier says what it is, and lists the neighbours it has met as
they describe themselves."""

from __future__ import annotations

from pathlib import Path

import httpx2

from actors.neighbour_descriptions import NeighbourDescriptions
from commons.posts.services import publish_note
from config.uris import Uris
from storage.models import Actor
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote

HOSTS = ("paquis.test", "servette.test")
PAQUIS = {
    "description": "Entre la gare et le lac, un quartier de toutes les langues.",
    "contact": "association@paquis.test",
    "area": "46.2075,6.1395,46.2160,6.1520",
}


async def get(node: Node, path: str) -> httpx2.Response:
    transport = httpx2.ASGITransport(app=node.app)
    async with httpx2.AsyncClient(transport=transport, base_url=node.settings.base_url) as client:
        return await client.get(path, headers={"Accept-Language": "fr"})


async def test_a_quartier_lists_the_neighbours_it_met_as_they_describe_themselves(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(
        tmp_path, database_kind, HOSTS, servers={"paquis.test": PAQUIS}
    ) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        descriptions = NeighbourDescriptions(
            servette.instance.database, servette.instance.federation
        )
        # Given a quartier that knows no other yet
        assert (await get(servette, "/quartiers.json")).json()["neighbours"] == []
        assert await descriptions.run_once() == 0

        # When a resident of the Servette follows a collective of the Pâquis, which posts
        await paquis.resident("amelie")
        cafe = await paquis.collective("cafe-paquis", "amelie")
        ines = await servette.resident("ines")
        await follow_remote(servette, ines, cafe.uri)
        await rig.drain()
        async with paquis.instance.database.transaction() as session:
            author = await session.get(Actor, cafe.id)
            assert author is not None
            await publish_note(session, Uris(paquis.settings.base_url), author, "Soupe jeudi")
        await rig.drain()

        # Then the Servette reads what the Pâquis says of itself, once
        assert await descriptions.run_once() == 1
        nodeinfo = rig.gets_of("http://paquis.test/.well-known/nodeinfo")
        assert await descriptions.run_once() == 0
        assert rig.gets_of("http://paquis.test/.well-known/nodeinfo") == nodeinfo == 1

        # And lists it in its directory, for servers and for people
        document = (await get(servette, "/quartiers.json")).json()
        assert document["quartier"]["name"] == "Quartier Servette"
        assert document["neighbours"] == [
            {
                "domain": "paquis.test",
                "url": "http://paquis.test",
                "name": "Quartier Paquis",
                "city": "Genève",
                "description": PAQUIS["description"],
                "contact": "association@paquis.test",
                "area": {"south": 46.2075, "west": 6.1395, "north": 46.216, "east": 6.152},
                "federated": False,
            }
        ]
        page = await get(servette, "/quartiers")
        assert page.status_code == 200
        assert "Les quartiers de Genève" in page.text and "Quartiers voisins" in page.text
        assert "Quartier Paquis" in page.text and "Entre la gare et le lac" in page.text
        assert 'href="mailto:association@paquis.test"' in page.text
