"""A collective's profile saved from its web form reaches its followers as ``Update(Group)``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from storage.models import Activity, Actor
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import browser_of, follow_remote
from tests.federation_rig.test_groups import add_mastodon, mastodon_follower

PROFILE_FORM = {
    "display_name": "Repair Café des Pâquis",
    "kind": "space",
    "description": "On répare **ensemble**, chaque samedi.",
    "place_name": "Maison de quartier",
    "street_address": "Rue de Berne 10",
    "postal_code": "1201",
    "locality": "Genève",
    "latitude": "46.2102",
    "longitude": "6.1432",
    "opening_hours": "Samedi 10:00–16:00",
    "join_mode": "approval",
    "members_only_posting": "1",
}


async def updates_of(node: Node, actor: Actor) -> int:
    async with node.instance.database.session() as session:
        found = await session.scalar(
            select(func.count(Activity.id)).where(
                Activity.actor_id == actor.id, Activity.type == "Update"
            )
        )
    return found or 0


async def test_saving_the_profile_form_updates_every_follower_copy(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis, servette = rig["paquis.test"], rig["servette.test"]
        mastodon = add_mastodon(rig)
        # Given a collective of paquis.test followed from servette.test and from Mastodon
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        leo = await servette.resident("leo")
        await follow_remote(servette, leo, cafe.uri)
        await mastodon_follower(paquis, cafe)
        await rig.drain()
        mastodon.received.clear()

        # When its admin saves a new name and description in the web form
        cookie, csrf = await browser_of(paquis, "jeanmarc")
        response = await rig.client.post(
            "http://paquis.test/@repair-cafe/manage/profile",
            data={**PROFILE_FORM, "csrf_token": csrf},
            headers=cookie,
        )
        assert response.status_code == 303
        await rig.drain()

        # Then servette.test's copy of the collective has the new profile
        copy = await servette.actor(cafe.uri)
        assert copy is not None and copy.name == "Repair Café des Pâquis"
        assert "<strong>ensemble</strong>" in (copy.summary or "")
        # and Mastodon received the Update of the Group, with its new name
        [update] = [body for body in mastodon.received if body["type"] == "Update"]
        assert update["actor"] == cafe.uri and update["object"]["type"] == "Group"
        assert update["object"]["name"] == "Repair Café des Pâquis"


async def test_a_plain_member_cannot_save_the_profile_and_nothing_is_sent(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=("paquis.test",)) as rig:
        paquis = rig["paquis.test"]
        # Given a collective and a resident who is only a member
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        await paquis.resident("bob")
        cookie, csrf = await browser_of(paquis, "bob")
        join = await rig.client.post(
            "http://paquis.test/@repair-cafe/join", data={"csrf_token": csrf}, headers=cookie
        )
        assert join.status_code == 303

        # When he posts the profile form anyway
        response = await rig.client.post(
            "http://paquis.test/@repair-cafe/manage/profile",
            data={**PROFILE_FORM, "csrf_token": csrf},
            headers=cookie,
        )

        # Then he is refused, the profile is unchanged and no Update is queued
        assert response.status_code == 403
        row = await paquis.actor(cafe.uri)
        assert row is not None and row.name != "Repair Café des Pâquis"
        assert await updates_of(paquis, cafe) == 0
