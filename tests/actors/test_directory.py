"""The directory of quartiers: what this one says of itself, and what is read from neighbours."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx2
import pytest

from actors.directory import read_description
from actors.neighbour_descriptions import NeighbourDescriptions
from config.area import Area, area_from_json, parse_area
from config.settings import Settings
from quartiers.app import create_app
from storage.database import Database
from storage.models import Host, utcnow
from tests.federation.federation_support import mock_client

NODEINFO_LINKS = "http://jonction.test/.well-known/nodeinfo"


def links_to(href: str) -> dict[str, object]:
    return {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": href}]}


def nodeinfo(**metadata: object) -> dict[str, object]:
    return {"version": "2.1", "software": {"name": "quartiers-collaboratifs"}, "metadata": metadata}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("46.2075,6.1395,46.2160,6.1520", Area(46.2075, 6.1395, 46.216, 6.152)),
        (" 46.2 , 6.1 , 46.3 , 6.2 ", Area(46.2, 6.1, 46.3, 6.2)),
        ("", None),
        ("46.2,6.1,46.3", None),
        ("46.3,6.1,46.2,6.2", None),  # south of its north
        ("46.2,6.1,91,6.2", None),
        ("nan,6.1,46.3,6.2", None),
        ("a,b,c,d", None),
    ],
)
def test_an_area_is_four_numbers_of_a_real_box(text: str, expected: Area | None) -> None:
    assert parse_area(text) == expected


def test_another_servers_area_is_read_only_when_it_is_a_real_box() -> None:
    box = {"south": 46.2, "west": 6.1, "north": 46.3, "east": 6.2}
    assert area_from_json(box) == Area(46.2, 6.1, 46.3, 6.2)
    assert area_from_json({**box, "north": "46.3"}) is None
    assert area_from_json({**box, "east": True}) is None
    assert area_from_json([46.2, 6.1, 46.3, 6.2]) is None


def test_what_a_neighbour_says_of_itself_is_plain_text_of_bounded_length() -> None:
    described = read_description({
        "nodeName": "Jonction", "neighbourhood": "Quartier\\n de la   Jonction",
        "city": ["Genève"], "nodeDescription": "x" * 5000, "contact": 42,
        "area": {"south": 1, "west": 2, "north": 0, "east": 3},
    })  # fmt: skip
    assert described.name == "Quartier\\n de la Jonction"
    assert described.city is None and described.contact is None and described.area is None
    assert described.description == "x" * 500
    assert read_description({"nodeName": "  "}).name is None
    assert read_description({"nodeName": "Jonction"}).name == "Jonction"


async def test_a_neighbour_is_read_once_a_day_and_keeps_what_it_said_when_it_is_silent(
    database: Database,
) -> None:
    # Given a neighbour that describes itself
    async with database.transaction() as session:
        session.add(Host(host="jonction.test", is_neighbour=True, origin="http://jonction.test"))
    routes: dict[str, object] = {
        NODEINFO_LINKS: links_to("http://jonction.test/nodeinfo/2.1"),
        "http://jonction.test/nodeinfo/2.1": nodeinfo(neighbourhood="Jonction", city="Genève"),
    }
    now = utcnow()
    reader = NeighbourDescriptions(database, mock_client(routes), clock=lambda: now)  # type: ignore[arg-type]
    # When it is read, then read again the same day
    assert await reader.run_once() == 1
    assert await reader.run_once() == 0
    # And, a day later, it does not answer
    routes.clear()
    later = NeighbourDescriptions(
        database, mock_client(routes), clock=lambda: now + timedelta(days=1, minutes=1)
    )
    assert await later.run_once() == 0
    # Then it keeps what it said
    async with database.session() as session:
        host = await session.get(Host, "jonction.test")
    assert host is not None and host.quartier_name == "Jonction" and host.city == "Genève"
    assert host.described_at == now


async def test_a_new_neighbour_that_does_not_answer_is_asked_again_an_hour_later(
    database: Database,
) -> None:
    # Given a quartier just met, whose server does not answer yet
    async with database.transaction() as session:
        session.add(Host(host="jonction.test", is_neighbour=True, origin="http://jonction.test"))
    routes: dict[str, object] = {}
    moment = [utcnow()]
    reader = NeighbourDescriptions(database, mock_client(routes), clock=lambda: moment[0])  # type: ignore[arg-type]
    assert await reader.run_once() == 0

    # When it answers ten minutes later
    routes[NODEINFO_LINKS] = links_to("http://jonction.test/nodeinfo/2.1")
    routes["http://jonction.test/nodeinfo/2.1"] = nodeinfo(neighbourhood="Jonction")
    moment[0] += timedelta(minutes=10)
    # Then it is not asked yet, but it is an hour after it was silent
    assert await reader.run_once() == 0
    moment[0] += timedelta(minutes=51)
    assert await reader.run_once() == 1
    async with database.session() as session:
        host = await session.get(Host, "jonction.test")
    assert host is not None and host.quartier_name == "Jonction"


async def test_a_nodeinfo_served_by_another_server_does_not_describe_a_neighbour(
    database: Database,
) -> None:
    async with database.transaction() as session:
        session.add(Host(host="jonction.test", is_neighbour=True, origin="http://jonction.test"))
    routes = {
        NODEINFO_LINKS: links_to("http://elsewhere.test/nodeinfo/2.1"),
        "http://elsewhere.test/nodeinfo/2.1": nodeinfo(neighbourhood="Pas la Jonction"),
    }
    reader = NeighbourDescriptions(database, mock_client(routes))
    assert await reader.run_once() == 0
    async with database.session() as session:
        host = await session.get(Host, "jonction.test")
    assert host is not None and host.quartier_name is None and host.described_at is None


async def test_the_directory_escapes_what_neighbours_say_and_says_when_it_is_empty(
    database: Database, settings: Settings
) -> None:
    described = replace(
        settings,
        server=replace(
            settings.server, description="Le quartier du lac.", area="46.2,6.1,46.3,6.2"
        ),
    )
    app = create_app(described, database=database, run_workers=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        empty = await client.get("/quartiers", headers={"Accept-Language": "fr"})
        assert "Aucun autre quartier n'est encore connu ici" in empty.text
        async with database.transaction() as session:
            session.add(Host(
                host="jonction.test", is_neighbour=True, origin="http://jonction.test",
                quartier_name="<script>alert(1)</script>", contact="javascript:alert(1)",
            ))  # fmt: skip
        page = await client.get("/quartiers", headers={"Accept-Language": "fr"})
        document = (await client.get("/quartiers.json")).json()
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
    assert 'href="javascript:' not in page.text
    assert document["quartier"] == {
        "domain": "paquis.test", "url": "http://paquis.test", "name": "Quartier Paquis",
        "city": "Genève", "description": "Le quartier du lac.", "contact": "",
        "area": {"south": 46.2, "west": 6.1, "north": 46.3, "east": 6.2}, "federated": False,
    }  # fmt: skip
    assert [q["domain"] for q in document["neighbours"]] == ["jonction.test"]
