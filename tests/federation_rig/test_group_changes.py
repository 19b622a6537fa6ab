"""A member edits or deletes her post in a collective of another quartier: the collective passes
the change on to its followers (Announce{Update}, Announce{Delete}), who read the post again from
its author's server."""

from __future__ import annotations

from pathlib import Path

from commons.posts.services import delete_note, edit_note, publish_note
from config.uris import Uris
from storage.models import Actor, Post
from tests.federation_rig.rig import federation_rig
from tests.federation_rig.steps import follow_remote
from tests.federation_rig.test_groups import activities_of, post_on, remote_group, send_join


async def test_a_members_edit_and_deletion_reach_the_collectives_followers(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis, jonction, servette = rig["paquis.test"], rig["jonction.test"], rig["servette.test"]
        # Given a collective on paquis, a member from jonction and a follower on servette
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        nadia = await jonction.resident("nadia")
        await send_join(jonction, nadia, cafe.uri)
        leo = await servette.resident("leo")
        await follow_remote(servette, leo, cafe.uri)
        await rig.drain()
        # And her post in the collective, seen on servette
        uris = Uris(jonction.settings.base_url)
        async with jonction.instance.database.transaction() as session:
            author = await session.get(Actor, nadia.id)
            assert author is not None
            group = await remote_group(jonction, cafe.uri)
            post = await publish_note(session, uris, author, "Réparation samedi", audience=group)
        await rig.drain()
        seen = await post_on(servette, post.uri)
        assert seen is not None and "samedi" in seen.content_html

        # When she edits it
        async with jonction.instance.database.transaction() as session:
            author = await session.get(Actor, nadia.id)
            mine = await session.get(Post, post.id)
            assert author is not None and mine is not None
            await edit_note(session, uris, author, mine, "Réparation dimanche")
        await rig.drain()
        # Then the collective announced the Update, and servette shows the new words
        updates = [a for a in await activities_of(paquis, cafe, "Announce")
                   if isinstance(a["object"], dict) and a["object"]["type"] == "Update"]  # fmt: skip
        assert len(updates) == 1 and updates[0]["object"]["object"]["id"] == post.uri
        seen = await post_on(servette, post.uri)
        assert seen is not None and "dimanche" in seen.content_html

        # When she deletes it
        async with jonction.instance.database.transaction() as session:
            author = await session.get(Actor, nadia.id)
            mine = await session.get(Post, post.id)
            assert author is not None and mine is not None
            await delete_note(session, uris, author, mine)
        await rig.drain()
        # Then the collective announced the Delete, and servette dropped the post
        deletes = [a for a in await activities_of(paquis, cafe, "Announce")
                   if isinstance(a["object"], dict) and a["object"]["type"] == "Delete"]  # fmt: skip
        assert len(deletes) == 1
        kept = await post_on(paquis, post.uri)
        seen = await post_on(servette, post.uri)
        assert kept is not None and kept.deleted_at is not None
        assert seen is not None and seen.deleted_at is not None and seen.content_html == ""
