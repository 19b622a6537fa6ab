"""Replies, mentions and search between instances of the rig, through the real pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
from sqlalchemy import select

from commons.posts.services import publish_note
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Delivery, Follow, Host, Notification, Post
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.test_following import post_on
from tests.webui.web_support import Resident, log_in_as

HOSTS = ("paquis.test", "jonction.test")
HTML = {"Accept": "text/html"}


@asynccontextmanager
async def browser(node: Node) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=node.app)
    async with httpx2.AsyncClient(transport=transport, base_url=node.settings.base_url) as client:
        yield client


async def notifications_of(node: Node, actor_id: int) -> list[str]:
    async with node.instance.database.session() as session:
        return list(
            (
                await session.scalars(
                    select(Notification.kind).where(Notification.recipient_id == actor_id)
                )
            ).all()
        )


async def publish(node: Node, actor_id: int, text: str) -> Post:
    async with node.instance.database.transaction() as session:
        author = await session.get(Actor, actor_id)
        assert author is not None
        return await publish_note(session, Uris(node.settings.base_url), author, text)


async def test_a_mastodon_style_reply_joins_the_thread_and_notifies(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given a post by Amélie on paquis.test
        amelie = await paquis.resident("amelie")
        nadia = await jonction.resident("nadia")
        post = await publish(paquis, amelie.id, "Qui prête une échelle ?")

        # When Nadia replies from jonction.test the way Mastodon does
        await jonction.instance.remote_actors.actor(amelie.uri)
        async with jonction.instance.database.transaction() as session:
            sender = await session.get(Actor, nadia.id)
            assert sender is not None
            note = {
                "id": f"{nadia.uri}/statuses/1",
                "type": "Note",
                "attributedTo": nadia.uri,
                "inReplyTo": post.uri,
                "content": (
                    '<p><span class="h-card"><a href="http://paquis.test/@amelie" '
                    'class="u-url mention">@<span>amelie</span></a></span> Moi ! '
                    "<script>alert(1)</script></p>"
                ),
                "to": [PUBLIC],
                "cc": [amelie.uri],
                "tag": [{"type": "Mention", "href": amelie.uri, "name": "@amelie@paquis.test"}],
                "published": "2026-11-28T10:00:00Z",
            }
            create = build_activity(
                jonction.instance.uris, "Create", sender, note, [PUBLIC], [amelie.uri]
            )
            await enqueue_activity(
                session, sender, create, to_followers=False, inboxes=[amelie.inbox_uri]
            )
        await rig.drain()

        # Then the reply shows under the post on its page, sanitized
        async with browser(paquis) as client:
            page = await client.get(post.uri.removeprefix(paquis.settings.base_url), headers=HTML)
        assert page.status_code == 200
        replies = page.text.split('id="replies-title"', 1)[1]
        assert "Moi !" in replies and "@nadia@jonction.test" in replies
        assert "<script>alert" not in page.text
        # And Amélie is told once, as a reply (not also as a mention)
        assert await notifications_of(paquis, amelie.id) == ["reply"]


async def test_a_remote_mention_is_resolved_by_webfinger_and_delivered(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        nadia = await jonction.resident("nadia")
        async with browser(paquis) as client:
            amelie: Resident = await log_in_as(
                client, paquis.settings, paquis.instance.database, "amelie"
            )
            # When Amélie writes to a handle paquis.test has never seen
            response = await client.post(
                "/compose",
                data={
                    "csrf_token": amelie.csrf,
                    "text": "@nadia@jonction.test on se voit au #troc ?",
                    "visibility": "mentioned",
                },
            )
            assert response.status_code == 303

        # Then the handle was resolved, linked, tagged and only Nadia's server is delivered to
        async with paquis.instance.database.session() as session:
            post = await session.scalar(select(Post).where(Post.actor_id == amelie.actor.id))
            inboxes = (await session.scalars(select(Delivery.inbox_uri))).all()
        assert post is not None and post.document is not None
        assert f'href="{nadia.uri}"' in post.content_html
        assert {
            "type": "Mention",
            "href": nadia.uri,
            "name": "@nadia@jonction.test",
        } in post.document["tag"]
        assert list(inboxes) == ["http://jonction.test/inbox"]
        await rig.drain()
        # And Nadia has it, as a mentioned-only post, and is notified
        remote = await post_on(jonction, post.uri)
        assert remote is not None and remote.visibility == "mentioned"
        assert await notifications_of(jonction, nadia.id) == ["mention"]


async def test_search_a_handle_follow_it_and_search_a_post_url(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        await jonction.resident("nadia")
        cafe = await jonction.collective("cafe-jonction", "nadia")
        news = await publish(jonction, cafe.id, "Soupe populaire jeudi #soupe")
        async with browser(paquis) as client:
            amelie = await log_in_as(client, paquis.settings, paquis.instance.database, "amelie")
            # When Amélie searches the collective's handle
            found = await client.get("/search", params={"q": "@cafe-jonction@jonction.test"})
            assert found.status_code == 200
            assert "@cafe-jonction@jonction.test" in found.text and "Suivre" in found.text
            # And follows it from the results
            async with paquis.instance.database.session() as session:
                known = await session.scalar(select(Actor).where(Actor.uri == cafe.uri))
            assert known is not None
            followed = await client.post(
                "/search/follow", data={"csrf_token": amelie.csrf, "actor_id": str(known.id)}
            )
            assert followed.status_code == 303
            await rig.drain()
            # And pastes the URL of one of its posts
            by_url = await client.get("/search", params={"q": news.uri})
            assert "Soupe populaire jeudi" in by_url.text

        async with paquis.instance.database.session() as session:
            state = await session.scalar(
                select(Follow.state).where(Follow.follower_id == amelie.actor.id)
            )
            neighbour = await session.get(Host, "jonction.test")
        assert state == "accepted"
        # And jonction.test, whose collective speaks our terms, is now a neighbour
        assert neighbour is not None and neighbour.is_neighbour
        async with browser(paquis) as client:
            city = await client.get("/city", headers=HTML)
        assert "Soupe populaire jeudi" in city.text
