"""Neighbour quartiers recorded as they are met, even by many items applied at once."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from actors.neighbours import mark_neighbour
from storage.database import Database
from storage.models import Host


async def test_many_first_items_of_a_quartier_at_once_record_it_once(database: Database) -> None:
    # Given a quartier never met, whose first items are applied by several transactions at once
    async def apply_one(n: int) -> None:
        async with database.transaction() as session:
            await mark_neighbour(session, "jonction.test:8443", f"https://jonction.test:8443/@a{n}")

    # When they all record it
    await asyncio.gather(*(apply_one(n) for n in range(8)))

    # Then it is one neighbour, with the origin where it answers
    async with database.session() as session:
        hosts = list(await session.scalars(select(Host)))
    assert [(h.host, h.is_neighbour, h.origin) for h in hosts] == [
        ("jonction.test", True, "https://jonction.test:8443")
    ]


async def test_a_known_host_becomes_a_neighbour_keeping_what_was_known(database: Database) -> None:
    async with database.transaction() as session:
        session.add(Host(host="servette.test", consecutive_failures=2))
    async with database.transaction() as session:
        await mark_neighbour(session, "servette.test")
    async with database.session() as session:
        host = await session.get(Host, "servette.test")
    assert host is not None and host.is_neighbour and host.consecutive_failures == 2
    assert host.origin is None
