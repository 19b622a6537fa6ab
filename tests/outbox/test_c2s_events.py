"""Events through the client API go through the web form's service, for a resident or for a
collective whose facilitator posts with their own token."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from actors.groups import change_role
from storage.models import Activity, Event, EventOccurrence
from storage.models.events import JOIN_APPROVAL
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote
from tests.outbox.c2s_support import member_of, post_outbox, token_for

ZURICH = ZoneInfo("Europe/Zurich")


def _next_saturday_at_ten() -> datetime:
    today = datetime.now(ZURICH).replace(hour=10, minute=0, second=0, microsecond=0)
    return today + timedelta(days=7 + (5 - today.weekday()) % 7)


def _repair_cafe() -> dict[str, object]:
    start = _next_saturday_at_ten()
    return {
        "type": "Event",
        "name": "Repair Café",
        "startTime": start.isoformat(),
        "endTime": (start + timedelta(hours=6)).isoformat(),
        "timezone": "Europe/Zurich",
        "location": {
            "type": "Place",
            "name": "Maison de quartier",
            "address": {
                "type": "PostalAddress",
                "streetAddress": "Rue de Berne 10",
                "postalCode": "1201",
                "addressLocality": "Genève",
            },
            "latitude": 46.2105,
            "longitude": 6.1439,
        },
        "rrule": "FREQ=WEEKLY;COUNT=4",
        "maximumAttendeeCapacity": 12,
        "joinMode": "restricted",
        "categorySlug": "repair_cafe",
        "source": {"content": "Apportez vos *objets*", "mediaType": "text/markdown"},
    }


async def _event(node: Node, uri: str) -> Event:
    async with node.instance.database.session() as session:
        event = await session.scalar(select(Event).where(Event.uri == uri))
        assert event is not None
        return event


async def test_a_facilitator_creates_and_updates_a_collective_event(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(
        tmp_path, database_kind, hosts=("paquis.test", "jonction.test")
    ) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given a collective, its admin, a plain member, and a follower on jonction.test
        jeanmarc = await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        lea = await paquis.resident("lea")
        await member_of(paquis, cafe, lea)
        nadia = await jonction.resident("nadia")
        await follow_remote(jonction, nadia, cafe.uri)
        await rig.drain()
        token = await token_for(paquis, "jeanmarc")
        lea_token = await token_for(paquis, "lea")

        # When a plain member posts an event to the collective's outbox
        refused = await post_outbox(rig.client, paquis, "repair-cafe", lea_token, _repair_cafe())
        # Then she is told why not
        assert refused.status_code == 403
        assert "facilitator" in refused.json()["error"]

        # When the admin posts it with his own token
        response = await post_outbox(rig.client, paquis, "repair-cafe", token, _repair_cafe())
        assert response.status_code == 201, response.text
        async with paquis.instance.database.session() as session:
            uri = await session.scalar(
                select(Activity.object_uri).where(Activity.uri == response.headers["location"])
            )
        assert uri is not None
        event = await _event(paquis, uri)
        # Then the collective organises it, as from the web form: place, series, capacity, mode
        assert event.actor_id == cafe.id and event.created_by_id == jeanmarc.id
        assert event.place_name == "Maison de quartier" and event.locality == "Genève"
        assert event.latitude == 46.2105
        assert event.rrule is not None and "FREQ=WEEKLY" in event.rrule
        assert event.capacity == 12 and event.join_mode == JOIN_APPROVAL
        assert event.category == "repair_cafe"
        assert "<em>objets</em>" in event.description_html
        async with paquis.instance.database.session() as session:
            dates = await session.scalar(
                select(func.count()).where(EventOccurrence.event_id == event.id)
            )
        assert dates == 4
        # And its follower's server has it
        await rig.drain()
        assert (await _event(jonction, uri)).title == "Repair Café"

        # When an Update moves it online and removes the capacity, sending nothing else
        response = await post_outbox(
            rig.client, paquis, "repair-cafe", token,
            {"type": "Update", "object": {
                "id": uri, "type": "Event", "maximumAttendeeCapacity": None,
                "location": {"type": "VirtualLocation", "url": "https://visio.example/cafe"}}},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        # Then only those changed, here and on jonction.test
        event = await _event(paquis, uri)
        assert event.capacity is None and event.place_name is None
        assert event.online_url == "https://visio.example/cafe"
        assert event.title == "Repair Café" and "<em>objets</em>" in event.description_html
        assert event.rrule is not None and event.join_mode == JOIN_APPROVAL
        await rig.drain()
        assert (await _event(jonction, uri)).online_url == "https://visio.example/cafe"

        # When an Update removes every place
        placeless = await post_outbox(
            rig.client, paquis, "repair-cafe", token,
            {"type": "Update", "object": {"id": uri, "location": None}},
        )  # fmt: skip
        # Then it is refused with the form's reason, and the event is unchanged
        assert placeless.status_code == 400 and "missing_place" in placeless.json()["error"]
        assert (await _event(paquis, uri)).online_url == "https://visio.example/cafe"

        # When jeanmarc sends the collective's Update from his own outbox
        wrong_outbox = await post_outbox(
            rig.client, paquis, "jeanmarc", token,
            {"type": "Update", "object": {"id": uri, "name": "Autre"}},
        )  # fmt: skip
        # Then it is refused: an event changes from its organiser's outbox
        assert wrong_outbox.status_code == 403 and "outbox" in wrong_outbox.json()["error"]

        # When lea becomes a facilitator, she may post for it too
        async with paquis.instance.database.transaction() as session:
            await change_role(session, cafe, jeanmarc, lea.id, "facilitator")
        later = {k: v for k, v in _repair_cafe().items() if k != "rrule"}
        later["name"] = "Repair Café d'hiver"
        allowed = await post_outbox(rig.client, paquis, "repair-cafe", lea_token, later)
        assert allowed.status_code == 201, allowed.text

        # When the first event is deleted through the collective's outbox
        deleted = await post_outbox(
            rig.client, paquis, "repair-cafe", token, {"type": "Delete", "object": uri}
        )
        await rig.drain()
        # Then it is gone here and on jonction.test
        assert deleted.status_code == 201
        assert (await _event(paquis, uri)).deleted_at is not None
        assert (await _event(jonction, uri)).deleted_at is not None


async def test_an_event_that_cannot_be_read_is_refused_with_a_reason(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=("paquis.test",)) as rig:
        paquis = rig["paquis.test"]
        await paquis.resident("amelie")
        token = await token_for(paquis, "amelie")
        no_start = {k: v for k, v in _repair_cafe().items() if k != "startTime"}
        bad_rule = _repair_cafe() | {"rrule": "FREQ=SOMETIMES"}
        bad_place = _repair_cafe() | {"location": 42}
        for event, reason in (
            (no_start, "start"),
            (bad_rule, "rrule"),
            (bad_place, "location"),
            (_repair_cafe() | {"name": ""}, "name"),
        ):
            response = await post_outbox(rig.client, paquis, "amelie", token, event)
            assert response.status_code == 400, response.text
            assert reason in response.json()["error"]
        async with paquis.instance.database.session() as session:
            assert await session.scalar(select(func.count()).select_from(Event)) == 0
        # While the same event, readable, is hers
        fine = await post_outbox(rig.client, paquis, "amelie", token, _repair_cafe())
        assert fine.status_code == 201
        assert (await created_event_count(paquis)) == 1


async def created_event_count(node: Node) -> int:
    async with node.instance.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)
