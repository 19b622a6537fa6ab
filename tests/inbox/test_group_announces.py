"""``Announce{Update}`` and ``Announce{Delete}`` (FEP-1b12) are a collective's redistribution of
its members' changes: honoured from a Group only, and even then the post is read again from its
own server rather than taken from the announce."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inbox.fediverse import activity, fediverse, note


@pytest.mark.parametrize(
    ("secure", "gone"), [(False, 410), (True, 404)], ids=["open", "signed requests only"]
)
async def test_announced_updates_and_deletes_are_honoured_from_collectives_only(
    tmp_path: Path, database_kind: str, secure: bool, gone: int
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon, mobilizon = world["mastodon.test"], world["mobilizon.test"]
        mobilizon.signed_only = secure  # every read of ours is signed, so both answer us
        nadia = mobilizon.add_actor("nadia")
        velo = mobilizon.add_actor("velo", kind="Group")
        mallory = mastodon.add_actor("mallory")
        # Given nadia's post, known here and served by her server
        first = note(nadia, 1, "Atelier vélo samedi", to=[velo])
        mobilizon.serve(first, at=first["id"])
        await world.post_as(nadia, activity("Create", nadia, first, 1))
        await world.handle()

        # When her server now serves an edited post, and a person announces an Update of it
        edited = {**first, "content": "<p>Atelier vélo dimanche</p>"}
        mobilizon.serve(edited, at=first["id"])
        update = activity("Update", nadia, edited, 2)
        await world.post_as(mallory, activity("Announce", mallory, update, 1))
        await world.handle()
        # Then the post is left as it was
        post = await world.post(first["id"])
        assert post is not None and "samedi" in post.content_html

        # When the collective announces that Update
        await world.post_as(velo, activity("Announce", velo, update, 2))
        await world.handle()
        # Then the post is read again from nadia's server
        post = await world.post(first["id"])
        assert post is not None and "dimanche" in post.content_html

        # When her server answers that it is gone (410, or 404), and a person announces a Delete
        mobilizon.serve(gone, at=first["id"])
        removal = activity("Delete", nadia, first["id"], 3)
        await world.post_as(mallory, activity("Announce", mallory, removal, 3))
        await world.handle()
        # Then the post stays
        post = await world.post(first["id"])
        assert post is not None and post.deleted_at is None

        # When the collective announces the Delete
        await world.post_as(velo, activity("Announce", velo, removal, 4))
        await world.handle()
        # Then the post is gone
        post = await world.post(first["id"])
        assert post is not None and post.deleted_at is not None and post.content_html == ""


async def test_an_announced_delete_of_a_post_its_server_still_serves_changes_nothing(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mobilizon = world["mobilizon.test"]
        nadia = mobilizon.add_actor("nadia")
        velo = mobilizon.add_actor("velo", kind="Group")
        first = note(nadia, 1, "Atelier vélo samedi", to=[velo])
        mobilizon.serve(first, at=first["id"])
        await world.post_as(nadia, activity("Create", nadia, first, 1))
        await world.handle()
        # When the collective announces a Delete of a post its server still serves
        removal = activity("Delete", nadia, first["id"], 2)
        await world.post_as(velo, activity("Announce", velo, removal, 1))
        await world.handle()
        # Then the post stays
        post = await world.post(first["id"])
        assert post is not None and post.deleted_at is None and "samedi" in post.content_html
