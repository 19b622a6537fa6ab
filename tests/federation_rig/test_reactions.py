"""Likes, boosts and their Undo, and Update of posts, between two instances of the rig."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from commons.posts.services import edit_note, publish_note
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Post, Reaction
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote
from tests.federation_rig.test_following import post_on

HOSTS = ("paquis.test", "jonction.test")


async def react(
    node: Node, actor_id: int, kind: str, obj: str | dict[str, Any], author_uri: str
) -> dict[str, Any]:
    """``actor`` sends ``kind`` of ``obj`` to the author's inbox; returns the activity sent."""
    author = await node.instance.remote_actors.actor(author_uri)
    assert author is not None, f"{node.host} cannot resolve {author_uri}"
    async with node.instance.database.transaction() as session:
        actor = await session.get(Actor, actor_id)
        assert actor is not None
        document = build_activity(node.instance.uris, kind, actor, obj, [author.uri], [PUBLIC])
        await enqueue_activity(
            session, actor, document, to_followers=False, inboxes=[author.inbox_uri]
        )
    return document


async def reactions_on(node: Node, post_uri: str) -> list[tuple[str, str]]:
    async with node.instance.database.session() as session:
        rows = await session.execute(
            select(Reaction.kind, Actor.uri)
            .join(Actor, Actor.id == Reaction.actor_id)
            .join(Post, Post.id == Reaction.post_id)
            .where(Post.uri == post_uri)
            .order_by(Reaction.kind)
        )
        return [(kind, uri) for kind, uri in rows]


async def test_like_and_boost_then_undo_both(tmp_path: Path, database_kind: str) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given a post by a paquis resident and a jonction resident
        jeanmarc = await paquis.resident("jeanmarc")
        async with paquis.instance.database.transaction() as session:
            author = await session.get(Actor, jeanmarc.id)
            assert author is not None
            post = await publish_note(
                session, Uris(paquis.settings.base_url), author, "Vélos à réparer samedi"
            )
        nadia = await jonction.resident("nadia")

        # When she likes and boosts it
        like = await react(jonction, nadia.id, "Like", post.uri, jeanmarc.uri)
        boost = await react(jonction, nadia.id, "Announce", post.uri, jeanmarc.uri)
        await rig.drain()

        # Then paquis records both reactions
        assert await reactions_on(paquis, post.uri) == [
            ("announce", nadia.uri),
            ("like", nadia.uri),
        ]

        # When she undoes both
        await react(jonction, nadia.id, "Undo", like, jeanmarc.uri)
        await react(jonction, nadia.id, "Undo", boost, jeanmarc.uri)
        await rig.drain()

        # Then both are gone
        assert await reactions_on(paquis, post.uri) == []


async def test_undo_of_someone_elses_like_is_ignored(tmp_path: Path) -> None:
    async with federation_rig(tmp_path, hosts=HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given a paquis post liked by nadia of jonction
        jeanmarc = await paquis.resident("jeanmarc")
        async with paquis.instance.database.transaction() as session:
            author = await session.get(Actor, jeanmarc.id)
            assert author is not None
            post = await publish_note(session, Uris(paquis.settings.base_url), author, "Troc")
        nadia = await jonction.resident("nadia")
        omar = await jonction.resident("omar")
        like = await react(jonction, nadia.id, "Like", post.uri, jeanmarc.uri)
        await rig.drain()

        # When omar sends an Undo of her Like
        await react(jonction, omar.id, "Undo", like, jeanmarc.uri)
        await rig.drain()

        # Then her like stays
        assert await reactions_on(paquis, post.uri) == [("like", nadia.uri)]


async def test_update_of_a_post_by_its_author_only(tmp_path: Path, database_kind: str) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given a paquis resident who follows a jonction resident, and a post of hers on paquis
        jeanmarc = await paquis.resident("jeanmarc")
        nadia = await jonction.resident("nadia")
        omar = await jonction.resident("omar")
        await follow_remote(paquis, jeanmarc, nadia.uri)
        await rig.drain()
        uris = Uris(jonction.settings.base_url)
        async with jonction.instance.database.transaction() as session:
            author = await session.get(Actor, nadia.id)
            assert author is not None
            post = await publish_note(session, uris, author, "Atelier couture *mardi*")
        await rig.drain()
        copy = await post_on(paquis, post.uri)
        assert copy is not None and "<em>mardi</em>" in copy.content_html

        # When she edits it
        async with jonction.instance.database.transaction() as session:
            author = await session.get(Actor, nadia.id)
            row = await session.get(Post, post.id)
            assert author is not None and row is not None
            await edit_note(session, uris, author, row, "Atelier couture *jeudi*")
        await rig.drain()

        # Then paquis shows the new content
        copy = await post_on(paquis, post.uri)
        assert copy is not None and "<em>jeudi</em>" in copy.content_html
        assert copy.updated is not None

        # When omar sends an Update of her post, as its author or as himself
        assert copy.document is not None
        for attributed_to in (nadia.uri, omar.uri):
            forged = {**copy.document, "attributedTo": attributed_to, "content": "<p>Annulé</p>"}
            await react(jonction, omar.id, "Update", forged, jeanmarc.uri)
        await rig.drain()

        # Then paquis still shows her text
        copy = await post_on(paquis, post.uri)
        assert copy is not None and "<em>jeudi</em>" in copy.content_html
        assert "Annulé" not in copy.content_html
