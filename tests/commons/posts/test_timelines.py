"""Who may see which post: the visibility rules every timeline and the thread page share."""

from __future__ import annotations

import pytest

from actors.services import create_account, create_group
from commons.posts.services import publish_note
from commons.posts.threads import can_see, load_thread
from commons.posts.timelines import home_timeline
from config.settings import Settings
from config.uris import Uris
from storage.database import Database
from storage.models import Actor, Follow, Membership
from tests.actors.actor_support import use_session_keys


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


async def person(database: Database, settings: Settings, username: str) -> Actor:
    async with database.transaction() as session:
        account = await create_account(session, settings, username, "password123")
        actor = await session.get(Actor, account.actor_id)
        assert actor is not None
        return actor


async def test_visibility_rules(database: Database, settings: Settings) -> None:
    # Given an author, a follower, a mentioned resident, a member of a collective and a stranger
    author = await person(database, settings, "amelie")
    follower = await person(database, settings, "karim")
    mentioned = await person(database, settings, "nadia")
    member = await person(database, settings, "leo")
    stranger = await person(database, settings, "zoe")
    uris = Uris(settings.base_url)
    async with database.transaction() as session:
        group = await create_group(session, settings, "jardin", "project", "amelie")
        session.add(Membership(group_id=group.id, member_id=member.id, state="accepted"))
        session.add(
            Follow(uri="f1", follower_id=follower.id, followed_id=author.id, state="accepted")
        )
        writer = await session.get(Actor, author.id)
        assert writer is not None
        public = await publish_note(session, uris, writer, "Public")
        followers = await publish_note(session, uris, writer, "Abonnés", visibility="followers")
        direct = await publish_note(session, uris, writer, "@nadia à toi", visibility="mentioned")
        in_group = await publish_note(
            session, uris, writer, "Au jardin", visibility="followers", audience=group
        )

    expected = {
        public.id: {None, author.id, follower.id, mentioned.id, member.id, stranger.id},
        followers.id: {author.id, follower.id},
        direct.id: {author.id, mentioned.id},
        in_group.id: {author.id, follower.id, member.id},
    }
    async with database.session() as session:
        for post_id, allowed in expected.items():
            for viewer in (None, author.id, follower.id, mentioned.id, member.id, stranger.id):
                assert await can_see(session, post_id, viewer) is (viewer in allowed), (
                    post_id,
                    viewer,
                )
        # The member's home has the group's post; the stranger's home is empty
        home = await home_timeline(session, member.id, settings.base_url)
        assert [c.post.id for c in home.cards] == [in_group.id]
        assert (await home_timeline(session, stranger.id, settings.base_url)).cards == []


async def test_thread_orders_replies_depth_first(database: Database, settings: Settings) -> None:
    author = await person(database, settings, "amelie")
    other = await person(database, settings, "karim")
    uris = Uris(settings.base_url)
    async with database.transaction() as session:
        a = await session.get(Actor, author.id)
        b = await session.get(Actor, other.id)
        assert a is not None and b is not None
        root = await publish_note(session, uris, a, "Racine")
        first = await publish_note(session, uris, b, "Réponse 1", in_reply_to=root.uri)
        await publish_note(session, uris, b, "Réponse 2", in_reply_to=root.uri)
        await publish_note(session, uris, a, "Réponse 1.1", in_reply_to=first.uri)
    async with database.session() as session:
        thread = await load_thread(session, first, b, None, settings.base_url)
        assert [c.post.content_html.strip() for c in thread.ancestors] == ["<p>Racine</p>"]
        assert [c.post.content_html.strip() for c in thread.replies] == ["<p>Réponse 1.1</p>"]
        whole = await load_thread(session, root, a, None, settings.base_url)
    assert [(c.post.content_html.strip(), c.depth) for c in whole.replies] == [
        ("<p>Réponse 1</p>", 1),
        ("<p>Réponse 1.1</p>", 2),
        ("<p>Réponse 2</p>", 1),
    ]
