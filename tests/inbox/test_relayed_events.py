"""Events relayed by someone else (Mobilizon and Gancio relays, boosts from Mastodon).

The copy embedded in an ``Announce`` is trusted only when the announcer wrote the Event; any
other copy is read again from the Event's own server, and what that server answers is kept only
if it is about an id of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage.models import Actor, Event
from tests.inbox.conftest import Ignored
from tests.inbox.fediverse import Fediverse, activity, fediverse, in_days


def event(organiser: str, number: int, name: str, **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": f"{organiser}/events/{number}",
        "type": "Event",
        "name": name,
        "attributedTo": organiser,
        "startTime": in_days(20),
    }
    document.update(changes)
    return document


async def organiser_of(world: Fediverse, uri: str) -> str | None:
    stored = await world.event(uri)
    if stored is None:
        return None
    async with world.instance.database.session() as session:
        actor = await session.get(Actor, stored.actor_id)
    return actor.uri if actor is not None else None


async def test_an_embedded_event_announced_by_its_organiser_is_kept_as_sent(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mobilizon = world["mobilizon.test"]
        atelier = mobilizon.add_actor("atelier", kind="Group")
        # Given the organiser announces its own Event, embedded
        sent = event(atelier, 1, "Atelier vélo")
        await world.post_as(atelier, activity("Announce", atelier, sent, 1))
        # When the inbox worker handles it
        await world.handle()
        # Then the embedded copy is kept, without asking its server again
        stored = await world.event(sent["id"])
        assert stored is not None and stored.title == "Atelier vélo"
        assert "/users/atelier/events/1" not in mobilizon.fetched


async def test_an_embedded_event_announced_by_someone_else_is_read_from_its_server(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        mallory = mastodon.add_actor("mallory")
        alice = mastodon.add_actor("alice")
        atelier = mobilizon.add_actor("atelier", kind="Group")
        # Given two Events served by their organisers' servers
        on_mobilizon = event(atelier, 1, "Atelier vélo")
        on_mastodon = event(alice, 2, "Pique-nique du quartier")
        mobilizon.serve(on_mobilizon, at=on_mobilizon["id"])
        mastodon.serve(on_mastodon, at=on_mastodon["id"])
        # When mallory announces altered copies of both, embedded: one from another server, one
        # from her own server but written by alice (once as a bare Event, once inside a Create)
        forged_far = {**on_mobilizon, "name": "Atelier annulé", "startTime": in_days(40)}
        forged_near = {**on_mastodon, "name": "Pique-nique annulé"}
        await world.post_as(mallory, activity("Announce", mallory, forged_far, 1))
        wrapped = activity("Create", alice, forged_near, 1)
        await world.post_as(mallory, activity("Announce", mallory, wrapped, 2))
        assert await world.handle() == 2
        # Then each is kept as its own server serves it, under its organiser
        far = await world.event(on_mobilizon["id"])
        near = await world.event(on_mastodon["id"])
        assert far is not None and far.title == "Atelier vélo"
        assert near is not None and near.title == "Pique-nique du quartier"
        assert await organiser_of(world, on_mobilizon["id"]) == atelier
        assert await organiser_of(world, on_mastodon["id"]) == alice


async def test_a_relayed_event_served_under_another_servers_id_is_dropped(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        relay = mastodon.add_actor("relay", kind="Application")
        mallory = mastodon.add_actor("mallory")
        atelier = mobilizon.add_actor("atelier", kind="Group")
        # Given mastodon.test serves, at an address of its own, an Event claiming an id and an
        # organiser on mobilizon.test
        claimed = event(atelier, 1, "Atelier vélo annulé")
        served_at = mastodon.serve(claimed, at="http://mastodon.test/events/9")
        # When a relay announces that address, and mallory announces an embedded copy under it
        await world.post_as(relay, activity("Announce", relay, served_at, 1))
        embedded = {**claimed, "id": served_at, "attributedTo": relay}
        await world.post_as(mallory, activity("Announce", mallory, embedded, 2))
        assert await world.handle() == 2
        # Then the address was read, and no event entered the agenda
        assert "/events/9" in mastodon.fetched
        assert await world.count(Event) == 0


@pytest.mark.parametrize("organiser_as", ["attributedTo", "actor"])  # "actor": as Mobilizon
async def test_a_relayed_event_address_is_read_from_its_server(
    tmp_path: Path, database_kind: str, organiser_as: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        relay = mastodon.add_actor("relay", kind="Application")
        atelier = mobilizon.add_actor("atelier", kind="Group")
        genuine = event(atelier, 1, "Atelier vélo")
        genuine[organiser_as] = genuine.pop("attributedTo")
        mobilizon.serve(genuine, at=genuine["id"])
        # When a relay announces the address of an Event on another server
        await world.post_as(relay, activity("Announce", relay, genuine["id"], 1))
        await world.handle()
        # Then the Event is read from there and kept under its organiser
        stored = await world.event(genuine["id"])
        assert stored is not None and stored.title == "Atelier vélo"
        assert await organiser_of(world, genuine["id"]) == atelier


async def test_a_relayed_event_that_cannot_be_trusted_is_refused_with_its_reason(
    tmp_path: Path, database_kind: str, ignored: Ignored
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        mallory = mastodon.add_actor("mallory")
        atelier = mobilizon.add_actor("atelier", kind="Group")
        # Given events that mallory announces embedded, each read again from its server:
        # one its server does not serve, one served under another server's id, one whose
        # organiser is on another server, one whose organiser is not there
        missing = event(atelier, 1, "Atelier perdu")
        elsewhere = {**event(atelier, 2, "Atelier ailleurs"), "id": mastodon.url("/events/2")}
        foreign = {**event(mallory, 3, "Atelier d'autrui"), "id": mobilizon.url("/events/3")}
        nobody = event(mobilizon.url("/users/nobody"), 4, "Atelier de personne")
        mastodon.serve(event(atelier, 2, "Atelier ailleurs"), at=elsewhere["id"])
        for served in (foreign, nobody):
            mobilizon.serve(served, at=served["id"])
        copies = [missing, elsewhere, foreign, nobody]

        # When mallory announces each
        for n, copy in enumerate(copies):
            await world.post_as(mallory, activity("Announce", mallory, copy, n))
        assert await world.handle() == 4

        # Then none entered the agenda, each for its reason
        assert await world.count(Event) == 0
        assert ignored() == [
            "the announced event cannot be fetched",
            "the announced event is served from another origin",
            "the announced event has no organiser on its server",
            "the announced event's organiser cannot be resolved",
        ]


async def test_a_persons_boost_of_an_event_address_is_a_boost_not_an_agenda_entry(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        mallory = mastodon.add_actor("mallory")
        atelier = mobilizon.add_actor("atelier", kind="Group")
        genuine = event(atelier, 1, "Atelier vélo")
        mobilizon.serve(genuine, at=genuine["id"])
        # When a person, no relay, boosts the address of an Event on another server
        await world.post_as(mallory, activity("Announce", mallory, genuine["id"], 1))
        await world.handle()
        # Then it is kept as the post she boosted, as Mastodon shows it, and the agenda takes
        # nothing: only relays and organisers add to it
        assert await world.post(genuine["id"]) is not None
        assert await world.count(Event) == 0
