"""Only its author creates an object, and only on the author's own server.

A correctly signed ``Create`` proves who sent it, not who wrote what it carries: a Note
attributed to someone else, or whose id lives on another server, would let anyone put words in
a neighbour's mouth or squat the id of a post that its real author sends later.
"""

from __future__ import annotations

from pathlib import Path

from storage.models import Event, Post
from tests.inbox.fediverse import activity, fediverse, in_days, note


async def test_create_of_a_note_attributed_to_someone_else_is_dropped(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        mallory = mastodon.add_actor("mallory")
        # Given mallory's correctly signed Create of a Note that says alice wrote it
        forged = note(alice, 1, "Je vends mon vélo, écrivez à mallory")
        response = await world.post_as(mallory, activity("Create", mallory, forged, 1))
        assert response.status_code == 202
        # When the inbox worker handles it
        assert await world.handle() == 1
        # Then no post is stored, under alice's name or mallory's
        assert await world.count(Post) == 0

        # And alice's own Create of that id, sent afterwards, is kept with her words
        genuine = note(alice, 1, "Je prête mon échelle")
        assert (
            await world.post_as(alice, activity("Create", alice, genuine, 1))
        ).status_code == 202
        await world.handle()
        post = await world.post(forged["id"])
        author = await world.actor(alice)
        assert post is not None and author is not None
        assert post.actor_id == author.id
        assert "échelle" in post.content_html and "mallory" not in post.content_html


async def test_create_of_a_note_with_an_id_on_another_server_is_dropped(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        mallory = mastodon.add_actor("mallory")
        nadia = mobilizon.add_actor("nadia")
        # Given mallory's Create of her own Note, whose id lives on another server (nadia's)
        squatted = f"{nadia}/statuses/7"
        forged = note(mallory, 1, "Premier !", id=squatted)
        assert (
            await world.post_as(mallory, activity("Create", mallory, forged, 1))
        ).status_code == (202)
        # When the inbox worker handles it
        await world.handle()
        # Then nothing is stored under that id
        assert await world.count(Post) == 0

        # And when nadia later publishes the post of that id, hers is the one kept
        genuine = note(nadia, 7, "Vide-grenier dimanche")
        assert (
            await world.post_as(nadia, activity("Create", nadia, genuine, 1))
        ).status_code == 202
        await world.handle()
        post = await world.post(squatted)
        author = await world.actor(nadia)
        assert post is not None and author is not None
        assert post.actor_id == author.id and "Vide-grenier" in post.content_html


async def test_update_of_a_note_with_an_id_on_another_server_changes_nothing(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        mallory = mastodon.add_actor("mallory")
        nadia = mobilizon.add_actor("nadia")
        # Given nadia's post, known here
        genuine = note(nadia, 7, "Vide-grenier dimanche")
        await world.post_as(nadia, activity("Create", nadia, genuine, 1))
        await world.handle()
        # When mallory sends an Update of it, attributed to nadia or to herself
        for number, attributed in enumerate((nadia, mallory)):
            changed = {**genuine, "attributedTo": attributed, "content": "<p>Annulé</p>"}
            await world.post_as(mallory, activity("Update", mallory, changed, number))
        assert await world.handle() == 2
        # Then nadia's post is unchanged
        post = await world.post(genuine["id"])
        assert post is not None and "Vide-grenier" in post.content_html


async def test_create_of_an_event_with_an_id_on_another_server_is_dropped(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        mallory = mastodon.add_actor("mallory")
        atelier = mobilizon.add_actor("atelier", kind="Group")
        # Given mallory's Create of an Event whose id and organiser live on mobilizon.test
        forged = {
            "id": f"{atelier}/events/1",
            "type": "Event",
            "name": "Atelier vélo annulé",
            "attributedTo": atelier,
            "startTime": in_days(30),
        }
        assert (
            await world.post_as(mallory, activity("Create", mallory, forged, 1))
        ).status_code == (202)
        # When the inbox worker handles it
        await world.handle()
        # Then no event enters the agenda
        assert await world.count(Event) == 0
