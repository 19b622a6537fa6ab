"""A quartier with a repair café, its admin, a member and a neighbour, for the event tests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from actors.services import create_account, create_group
from commons.events import services as events
from config.settings import Settings
from config.uris import Uris
from storage.database import Database
from storage.models import Actor, Event, Membership

# A fixed Saturday long past, in December (no daylight-saving change near it, so the local
# hours and the wording stay put): nothing these tests check depends on today, which
# tests/test_clock_ahead.py proves by running them a year ahead, and a past date cannot come due.
SATURDAY = datetime(2020, 12, 5, 9, 0, tzinfo=UTC)  # 10:00 in Geneva


@dataclass
class Quartier:
    uris: Uris
    jeanmarc: Actor
    karim: Actor
    nadia: Actor
    cafe: Actor


def repair_cafe(**changes: object) -> events.EventFields:
    fields = events.EventFields(
        title="Repair Café",
        start=SATURDAY,
        end=datetime(2020, 12, 5, 15, 0, tzinfo=UTC),
        description="On répare **ensemble**.",
        place_name="Maison de quartier des Pâquis",
        street_address="rue de Berne 50",
        postal_code="1201",
        locality="Genève",
        latitude=46.2102,
        longitude=6.1432,
        category="repair_cafe",
    )
    return replace(fields, **changes)  # type: ignore[arg-type]


async def make_quartier(database: Database, settings: Settings) -> Quartier:
    async with database.transaction() as session:
        people = {}
        for name in ("jeanmarc", "karim", "nadia"):
            account = await create_account(session, settings, name, "password123")
            people[name] = await session.get(Actor, account.actor_id)
        cafe = await create_group(session, settings, "repair-cafe", "space", "jeanmarc")
        assert people["karim"] is not None
        session.add(Membership(group_id=cafe.id, member_id=people["karim"].id, role="member"))
    return Quartier(
        Uris(settings.base_url),
        people["jeanmarc"],
        people["karim"],  # type: ignore[arg-type]
        people["nadia"],
        cafe,
    )  # type: ignore[arg-type]


async def create(database: Database, q: Quartier, author: Actor, **changes: object) -> Event:
    async with database.transaction() as session:
        return await events.create_event(session, q.uris, author, q.cafe, repair_cafe(**changes))
