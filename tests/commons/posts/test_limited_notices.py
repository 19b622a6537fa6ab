"""Mentions and replies from a limited domain tell only the residents and collectives who follow
their author."""

from __future__ import annotations

from sqlalchemy import select

from actors.services import create_account, create_group
from commons.notifications import notify_reply_and_mentions
from commons.posts.notices import notify_collectives
from config.settings import Settings
from storage.blocks import block_domain
from storage.database import Database
from storage.models import Actor, Follow, Notification, Post, PostMention
from storage.models.follows import ACCEPTED


async def test_a_limited_author_tells_only_its_followers(
    database: Database, settings: Settings
) -> None:
    # Given Amélie, Bruno and their café here, and Jules on a limited domain, followed by Amélie
    # and by the café
    async with database.transaction() as session:
        ids: dict[str, int] = {}
        for name in ("amelie", "bruno"):
            account = await create_account(session, settings, name, "password123")
            ids[name] = account.actor_id
        cafe = await create_group(session, settings, "cafe", "space", "bruno")
        jules = Actor(
            uri="https://loud.example/users/jules", type="Person", username="jules",
            domain="social.loud.example", inbox_uri="https://loud.example/inbox",
            public_key_id="https://loud.example/users/jules#key", public_key_pem="",
        )  # fmt: skip
        session.add(jules)
        await session.flush()
        await block_domain(session, "loud.example", severity="limit")

    async def mention_all(number: int) -> None:
        async with database.transaction() as session:
            post = Post(uri=f"{jules.uri}/posts/{number}", actor_id=jules.id, content_html="Coucou")
            session.add(post)
            await session.flush()
            for actor_id in (ids["amelie"], ids["bruno"], cafe.id):
                session.add(PostMention(post_id=post.id, actor_id=actor_id))
            await session.flush()
            await notify_reply_and_mentions(session, post)
            await notify_collectives(session, post)

    async def told() -> list[tuple[int, str]]:
        async with database.session() as session:
            rows = await session.execute(
                select(Notification.recipient_id, Notification.kind).order_by(Notification.id)
            )
        return [(recipient, kind) for recipient, kind in rows.all()]

    # When Jules mentions all three, before anyone follows him
    await mention_all(1)

    # Then nobody is told
    assert await told() == []

    # When Amélie and the café follow Jules, and he mentions them again
    async with database.transaction() as session:
        for follower, n in ((ids["amelie"], 1), (cafe.id, 2)):
            session.add(
                Follow(uri=f"https://x.test/follows/{n}", follower_id=follower,
                       followed_id=jules.id, state=ACCEPTED)
            )  # fmt: skip
    await mention_all(2)

    # Then Amélie is told, and Bruno as who runs the café, but not of his own mention
    assert await told() == [(ids["amelie"], "mention"), (ids["bruno"], "collective_mention")]
