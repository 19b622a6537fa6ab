"""A remote post's life here: created once, changed and deleted by its author only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.models import Post
from tests.inbox.fediverse import activity, fediverse, note


async def test_a_post_is_created_once_changed_by_its_author_then_deleted(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        bob = mastodon.add_actor("bob")
        first = note(alice, 1, "Vide-grenier samedi")
        await world.post_as(alice, activity("Create", alice, first, 1))
        # When the same post comes again under another activity id, with other words
        again = {**first, "content": "<p>Réécrit</p>"}
        await world.post_as(alice, activity("Create", alice, again, 2))
        # And a Create of something that is not a post (a Person) arrives
        await world.post_as(
            alice, activity("Create", alice, {"id": f"{alice}/x", "type": "Person"}, 3)
        )
        await world.handle()
        # Then the first words are kept, and nothing else was created
        post = await world.post(first["id"])
        assert post is not None and "Vide-grenier" in post.content_html
        assert post.updated is None
        assert await world.count(Post) == 1

        # When bob sends a Delete of alice's post
        await world.post_as(bob, activity("Delete", bob, first["id"], 1))
        await world.handle()
        # Then it stays
        post = await world.post(first["id"])
        assert post is not None and post.deleted_at is None

        # When alice edits it, saying when
        edited_at = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
        edited = {
            **first,
            "content": "<p>Vide-grenier dimanche</p>",
            "updated": edited_at.isoformat(),
        }
        await world.post_as(alice, activity("Update", alice, edited, 4))
        await world.handle()
        # Then the post carries her new words and the moment of the edit
        post = await world.post(first["id"])
        assert post is not None and "dimanche" in post.content_html
        assert post.updated == edited_at

        # When she sends an Update of it naming bob as its author, or naming it by its id only
        claimed = {**first, "content": "<p>Signé Bob</p>", "attributedTo": bob}
        await world.post_as(alice, activity("Update", alice, claimed, 10))
        await world.post_as(alice, activity("Update", alice, first["id"], 11))
        await world.handle()
        # Then neither changes it, and both are handled without error
        post = await world.post(first["id"])
        assert post is not None and "dimanche" in post.content_html
        assert {item.last_error for item in await world.inbox_items()} == {None}

        # When she edits it without saying when
        await world.post_as(
            alice, activity("Update", alice, {**first, "content": "<p>Lundi</p>"}, 5)
        )
        await world.handle()
        # Then the moment it arrived stands for it
        post = await world.post(first["id"])
        assert post is not None and "Lundi" in post.content_html
        assert post.updated is not None and post.updated > edited_at

        # When she deletes it by its id, while another post of hers is known
        other = note(alice, 2, "Donne un canapé")
        await world.post_as(alice, activity("Create", alice, other, 8))
        await world.post_as(alice, activity("Delete", alice, first["id"], 6))
        await world.handle()
        # Then its words and document are gone, the row kept as a tombstone
        post = await world.post(first["id"])
        assert post is not None and post.deleted_at is not None
        assert post.content_html == "" and post.source is None and post.document is None
        # And her other post is untouched, until she deletes it too (with a Tombstone, as
        # Mastodon does)
        kept = await world.post(other["id"])
        assert kept is not None and kept.deleted_at is None and "canapé" in kept.content_html
        # and can still be edited
        edited_other = {**other, "content": "<p>Donne un fauteuil</p>"}
        await world.post_as(alice, activity("Update", alice, edited_other, 12))
        await world.handle()
        kept = await world.post(other["id"])
        assert kept is not None and "fauteuil" in kept.content_html
        tombstone = {"id": other["id"], "type": "Tombstone"}
        await world.post_as(alice, activity("Delete", alice, tombstone, 9))
        await world.handle()
        kept = await world.post(other["id"])
        assert kept is not None and kept.deleted_at is not None

        # And a later Update does not bring it back
        await world.post_as(
            alice, activity("Update", alice, {**first, "content": "<p>Revenu</p>"}, 7)
        )
        await world.handle()
        post = await world.post(first["id"])
        assert post is not None and post.deleted_at is not None and post.content_html == ""


async def test_a_post_to_a_remote_collective_is_kept_in_its_audience(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mobilizon = world["mobilizon.test"]
        nadia = mobilizon.add_actor("nadia")
        omar = mobilizon.add_actor("omar")
        velo = mobilizon.add_actor("velo", kind="Group")
        # Given paquis knows a remote collective (and a remote person)
        assert await world.instance.remote_actors.actor(velo) is not None
        assert await world.instance.remote_actors.actor(omar) is not None
        # When nadia posts to the collective, and to omar
        to_group = note(nadia, 1, "Atelier vélo", cc=[velo])
        to_person = note(nadia, 2, "Salut Omar", to=[omar])
        await world.post_as(nadia, activity("Create", nadia, to_group, 1))
        await world.post_as(nadia, activity("Create", nadia, to_person, 2))
        await world.handle()
        # Then the first belongs to the collective, the second to no collective
        group = await world.actor(velo)
        in_group = await world.post(to_group["id"])
        direct = await world.post(to_person["id"])
        assert group is not None and in_group is not None and direct is not None
        assert in_group.audience_id == group.id
        assert direct.audience_id is None
