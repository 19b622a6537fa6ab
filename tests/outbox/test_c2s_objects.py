"""Any valid object is accepted through the client API, kept with its type and properties, and
an Update replaces what it sends (ActivityPub §6.3.1)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storage.models import Media, Post
from tests.federation_rig.rig import federation_rig
from tests.federation_rig.steps import follow_remote
from tests.outbox.c2s_support import PUBLIC, created, get_as, post_outbox, token_for

IMAGE = "http://jonction.test/media/velo.jpg"


async def test_notes_articles_and_pages_keep_what_the_client_sent(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(
        tmp_path, database_kind, hosts=("paquis.test", "jonction.test")
    ) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        amelie = await paquis.resident("amelie")
        nadia = await jonction.resident("nadia")
        await follow_remote(jonction, nadia, amelie.uri)
        await rig.drain()
        token = await token_for(paquis, "amelie")
        everyone = {"to": [PUBLIC], "cc": [amelie.followers_uri]}

        # When a client sends HTML with a script and an inline handler
        html = await created(
            paquis,
            await post_outbox(
                rig.client, paquis, "amelie", token,
                {"type": "Note", **everyone,
                 "content": '<p onclick="x()">Vide-<em>grenier</em><script>alert(1)</script></p>'},
            ),
        )  # fmt: skip
        # Then it is kept as HTML, sanitized like the HTML other servers send
        assert html.content_html == "<p>Vide-<em>grenier</em></p>"
        assert html.source is None

        # When a Note has only a name, another only an attachment, and the types are lists
        named = await created(
            paquis,
            await post_outbox(
                rig.client, paquis, "amelie", token,
                {"type": ["Note"], "name": "Sondage : samedi ou dimanche ?", **everyone},
            ),
        )  # fmt: skip
        pictured = await created(
            paquis,
            await post_outbox(
                rig.client, paquis, "amelie", token,
                {"type": ["Create"], **everyone,
                 "object": {"type": ["Note", "Rumour"],
                            "attachment": [{"type": "Image", "url": IMAGE, "name": "Un vélo"}]}},
            ),
        )  # fmt: skip
        # Then both are posts, and the attachment is kept with its description
        assert named.type == "Note" and pictured.type == "Note"
        assert (await get_as(rig.client, named.uri)).json()["name"] == (
            "Sondage : samedi ou dimanche ?"
        )
        async with paquis.instance.database.session() as session:
            media = await session.scalar(select(Media).where(Media.post_id == pictured.id))
            assert media is not None and media.remote_url == IMAGE and media.alt_text == "Un vélo"
        served = (await get_as(rig.client, pictured.uri)).json()
        assert served["attachment"][0]["url"] == IMAGE

        # When an Article and a Page come with a name and a summary
        for kind in ("Article", "Page"):
            post = await created(
                paquis,
                await post_outbox(
                    rig.client, paquis, "amelie", token,
                    {"type": kind, "name": f"Notre {kind}", "summary": "En bref",
                     "content": "<p>Le texte</p>", **everyone},
                ),
            )  # fmt: skip
            # Then they keep their type and name, for us and for the servers they reach
            document = (await get_as(rig.client, post.uri)).json()
            assert document["type"] == kind and document["name"] == f"Notre {kind}"
            assert document["summary"] == "En bref"
            page = await rig.client.get(post.uri, headers={"Accept": "text/html"})
            assert f"<strong>Notre {kind}</strong>" in page.text
            await rig.drain()
            async with jonction.instance.database.session() as session:
                copy = await session.scalar(select(Post).where(Post.uri == post.uri))
                assert copy is not None and copy.type == kind


async def test_update_replaces_what_it_sends_and_null_removes(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(
        tmp_path, database_kind, hosts=("paquis.test", "jonction.test")
    ) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        amelie = await paquis.resident("amelie")
        nadia = await jonction.resident("nadia")
        await follow_remote(jonction, nadia, amelie.uri)
        await rig.drain()
        token = await token_for(paquis, "amelie")
        post = await created(
            paquis,
            await post_outbox(
                rig.client, paquis, "amelie", token,
                {"type": "Article", "name": "Troc", "summary": "Attention : long",
                 "source": {"content": "On échange des *graines*", "mediaType": "text/markdown"},
                 "attachment": {"type": "Image", "url": IMAGE, "name": "Graines"},
                 "to": PUBLIC, "cc": amelie.followers_uri},
            ),
        )  # fmt: skip
        # Its author reads the Markdown back; nobody else does
        assert (await get_as(rig.client, post.uri, token)).json()["source"] == {
            "content": "On échange des *graines*",
            "mediaType": "text/markdown",
        }
        assert "source" not in (await get_as(rig.client, post.uri)).json()
        await rig.drain()
        async with jonction.instance.database.session() as session:
            copy = await session.scalar(select(Post).where(Post.uri == post.uri))
            assert copy is not None and copy.summary == "Attention : long"

        # When an Update without content changes the name and removes summary and attachment
        response = await post_outbox(
            rig.client, paquis, "amelie", token,
            {"type": "Update", "object": {"id": post.uri, "type": "Article",
                                          "name": "Troc de graines", "summary": None,
                                          "attachment": None}},
        )  # fmt: skip
        assert response.status_code == 201
        await rig.drain()

        # Then the name is replaced, summary and attachment are gone, the text is untouched
        document = (await get_as(rig.client, post.uri, token)).json()
        assert document["name"] == "Troc de graines"
        assert "summary" not in document and "attachment" not in document
        assert "<em>graines</em>" in document["content"]
        assert document["source"]["content"] == "On échange des *graines*"
        async with paquis.instance.database.session() as session:
            assert await session.scalar(select(Media.id).where(Media.post_id == post.id)) is None
        # And the server that had it got the same
        async with jonction.instance.database.session() as session:
            copy = await session.scalar(select(Post).where(Post.uri == post.uri))
            assert copy is not None and copy.summary is None
            assert "Troc de graines" in copy.content_html

        # When the text itself is replaced by HTML
        await post_outbox(
            rig.client, paquis, "amelie", token,
            {"type": "Update", "object": {"id": post.uri, "content": "<p>Fini</p>"}},
        )  # fmt: skip
        # Then the Markdown source goes with the old text
        document = (await get_as(rig.client, post.uri, token)).json()
        assert document["content"] == "<p>Fini</p>" and "source" not in document

        # When someone else tries to change it
        await paquis.resident("bob")
        refused = await post_outbox(
            rig.client, paquis, "bob", await token_for(paquis, "bob"),
            {"type": "Update", "object": {"id": post.uri, "content": "Pirate"}},
        )  # fmt: skip
        # Then it is refused, and nothing changed
        assert refused.status_code == 403 and "author" in refused.json()["error"]
        assert (await get_as(rig.client, post.uri)).json()["content"] == "<p>Fini</p>"
