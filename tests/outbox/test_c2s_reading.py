"""Reading back with a bearer token: one's own posts, public or not, and one's inbox as a paged
OrderedCollection (ActivityPub §5.2)."""

from __future__ import annotations

from pathlib import Path

from tests.federation_rig.rig import federation_rig
from tests.federation_rig.steps import follow_remote
from tests.outbox.c2s_support import PUBLIC, created, get_as, post_outbox, token_for


async def test_the_owner_reads_their_own_posts_and_others_get_404(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=("paquis.test",)) as rig:
        paquis = rig["paquis.test"]
        amelie = await paquis.resident("amelie")
        await paquis.resident("bob")
        token = await token_for(paquis, "amelie")
        bob_token = await token_for(paquis, "bob")
        # Given a followers-only post written in Markdown
        post = await created(
            paquis,
            await post_outbox(
                rig.client, paquis, "amelie", token,
                {"type": "Note", "to": amelie.followers_uri,
                 "source": {"content": "Entre *nous*", "mediaType": "text/markdown"}},
            ),
        )  # fmt: skip
        create = await post_outbox(
            rig.client, paquis, "amelie", token,
            {"type": "Note", "content": "Rien que moi"},
        )  # fmt: skip
        # When its author GETs it with her token
        mine = await get_as(rig.client, post.uri, token)
        # Then she reads it, with its source
        assert mine.status_code == 200
        assert mine.json()["source"]["content"] == "Entre *nous*"
        # While anyone else gets 404, with or without a token, and a bad token is a 401
        assert (await get_as(rig.client, post.uri)).status_code == 404
        assert (await get_as(rig.client, post.uri, bob_token)).status_code == 404
        assert (await get_as(rig.client, post.uri, "nope")).status_code == 401
        # And the same for the activity named in Location
        activity = create.headers["location"]
        assert (await get_as(rig.client, activity, token)).json()["type"] == "Create"
        assert (await get_as(rig.client, activity)).status_code == 404
        assert (await get_as(rig.client, activity, bob_token)).status_code == 404


async def test_the_inbox_is_a_paged_collection_for_its_owner(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(
        tmp_path, database_kind, hosts=("paquis.test", "jonction.test")
    ) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given nadia (jonction) and bob (paquis) following amelie, and theo whom nobody follows
        amelie = await paquis.resident("amelie")
        bob = await paquis.resident("bob")
        await paquis.resident("theo")
        nadia = await jonction.resident("nadia")
        await follow_remote(jonction, nadia, amelie.uri)
        await follow_remote(paquis, bob, amelie.uri)
        await rig.drain()
        token = await token_for(paquis, "amelie")
        # When amelie posts 22 notes to her followers, theo one for everyone, and one to nadia
        for n in range(22):
            await post_outbox(
                rig.client, paquis, "amelie", token,
                {"type": "Note", "content": f"Note {n}", "to": amelie.followers_uri},
            )  # fmt: skip
        theo_token = await token_for(paquis, "theo")
        await post_outbox(
            rig.client, paquis, "theo", theo_token,
            {"type": "Note", "content": "Personne ne me suit", "to": PUBLIC},
        )  # fmt: skip
        direct = await created(
            paquis,
            await post_outbox(
                rig.client, paquis, "theo", theo_token,
                {"type": "Note", "content": "Pour nadia", "to": nadia.uri},
            ),
        )  # fmt: skip
        await rig.drain()

        # Then nadia's inbox, read with her token, pages what reached her, newest first: the
        # Accept of her follow, the 22 notes and theo's note to her
        nadia_token = await token_for(jonction, "nadia")
        inbox_url = f"{nadia.uri}/inbox"
        root = (await get_as(rig.client, inbox_url, nadia_token)).json()
        assert root["type"] == "OrderedCollection" and root["totalItems"] == 24
        first = (await get_as(rig.client, root["first"], nadia_token)).json()
        assert first["type"] == "OrderedCollectionPage" and len(first["orderedItems"]) == 20
        assert first["orderedItems"][0]["object"]["id"] == direct.uri
        second = (await get_as(rig.client, first["next"], nadia_token)).json()
        assert len(second["orderedItems"]) == 4
        assert second["orderedItems"][-1]["type"] == "Accept"
        # And bob's, on amelie's own server, holds her 22 notes and not theo's
        bob_inbox = (
            await get_as(rig.client, f"{bob.uri}/inbox", await token_for(paquis, "bob"))
        ).json()
        assert bob_inbox["totalItems"] == 22
        # While nobody else reads it
        assert (await get_as(rig.client, inbox_url)).status_code == 401
        assert (await get_as(rig.client, f"{bob.uri}/inbox", token)).status_code == 403
