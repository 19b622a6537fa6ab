"""The home, quartier and city timelines: who sees what, and pages of twenty."""

from __future__ import annotations

import httpx2
import pytest
from sqlalchemy import func, select

from commons.posts.remote import store_remote_post
from commons.posts.services import publish_note
from config.settings import Settings
from config.uris import Uris
from federation.parsing import parse_object
from storage.database import Database
from storage.models import Actor, Follow, Host, Post
from tests.actors.actor_support import use_session_keys
from tests.webui.test_posts import log_in_as, remote_actor
from tests.webui.web_support import resident

HTML = {"Accept": "text/html"}
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


async def write(
    database: Database, settings: Settings, actor_id: int, text: str, visibility: str = "public"
) -> Post:
    async with database.transaction() as session:
        author = await session.get(Actor, actor_id)
        assert author is not None
        return await publish_note(
            session, Uris(settings.base_url), author, text, visibility=visibility
        )


async def follows(database: Database, follower_id: int, followed_id: int) -> None:
    async with database.transaction() as session:
        session.add(
            Follow(
                uri=f"http://paquis.test/follows/{follower_id}-{followed_id}",
                follower_id=follower_id,
                followed_id=followed_id,
                state="accepted",
            )
        )


async def remote_note(database: Database, author: Actor, text: str, n: int) -> None:
    note = {
        "id": f"http://{author.domain}/notes/{n}",
        "type": "Note",
        "attributedTo": author.uri,
        "content": f"<p>{text}</p>",
        "to": [PUBLIC],
    }
    async with database.transaction() as session:
        await store_remote_post(session, parse_object(note), author)


async def test_home_shows_followed_and_own_posts_not_strangers(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given Amélie following Karim, and Zoé whom she does not follow
    _, karim = await resident(database, settings, "karim")
    _, zoe = await resident(database, settings, "zoe")
    amelie = await log_in_as(client, settings, database, "amelie")
    await follows(database, amelie.actor.id, karim.id)
    await write(database, settings, karim.id, "Karim public")
    await write(database, settings, karim.id, "Karim pour ses abonné·es", "followers")
    await write(database, settings, zoe.id, "Zoé public")
    await write(database, settings, zoe.id, "Zoé pour ses abonné·es", "followers")
    await write(database, settings, amelie.actor.id, "Amélie elle-même")

    # When she opens her feed
    page = (await client.get("/home", headers=HTML)).text

    # Then she sees her own posts and Karim's, even followers-only, but nothing of Zoé
    assert "Amélie elle-même" in page and "Karim public" in page
    assert "Karim pour ses abonné·es" in page
    assert "Zoé" not in page
    assert 'action="/compose"' in page  # the inline form

    # And the quartier shows public posts only, to anyone
    client.cookies.clear()
    local = (await client.get("/local", headers=HTML)).text
    assert "Zoé public" in local and "Karim public" in local
    assert "abonné·es" not in local
    assert (await client.get("/home", headers=HTML)).status_code in (303, 401)


async def test_followers_only_post_is_hidden_from_non_followers(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    _, karim = await resident(database, settings, "karim")
    post = await write(database, settings, karim.id, "Code de la porte #cour", "followers")
    path = post.uri.removeprefix(settings.base_url)
    # Anonymous readers and a stranger get a 404; a follower reads it
    assert (await client.get(path, headers=HTML)).status_code == 404
    stranger = await log_in_as(client, settings, database, "zoe")
    assert (await client.get(path, headers=HTML)).status_code == 404
    assert "Code de la porte" not in (await client.get("/tags/cour", headers=HTML)).text
    await follows(database, stranger.actor.id, karim.id)
    assert "Code de la porte" in (await client.get(path, headers=HTML)).text
    assert "Code de la porte" in (await client.get("/tags/cour", headers=HTML)).text


async def test_city_includes_neighbours_and_excludes_others(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a post here, one from a neighbour quartier, one from elsewhere
    _, karim = await resident(database, settings, "karim")
    await write(database, settings, karim.id, "Ici aux Pâquis")
    voisin = await remote_actor(database, "lea", "jonction.test")
    lointain = await remote_actor(database, "bob", "mastodon.test")
    await remote_note(database, voisin, "Depuis la Jonction", 1)
    await remote_note(database, lointain, "Depuis Mastodon", 2)
    async with database.transaction() as session:
        session.add(Host(host="jonction.test", is_neighbour=True))
        session.add(Host(host="mastodon.test", is_neighbour=False))

    city = (await client.get("/city", headers=HTML)).text
    local = (await client.get("/local", headers=HTML)).text

    assert "Ici aux Pâquis" in city and "Depuis la Jonction" in city
    assert "Depuis Mastodon" not in city
    assert "Ici aux Pâquis" in local and "Depuis la Jonction" not in local


async def test_pages_of_twenty_with_before(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    _, karim = await resident(database, settings, "karim")
    for n in range(25):
        await write(database, settings, karim.id, f"Message numéro {n:02d}")
    first = (await client.get("/local", headers=HTML)).text
    assert first.count('class="post-card') == 20
    assert "Message numéro 24" in first and "Message numéro 05" in first
    assert "Message numéro 04" not in first
    link = first.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    assert link.startswith("/local?before=")
    second = (await client.get(link, headers=HTML)).text
    assert second.count('class="post-card') == 5 and "Message numéro 00" in second
    assert 'rel="next"' not in second
    # Nonsense in ?before= is the first page, never an error
    for before in ("abc", "-1", "9" * 40):
        response = await client.get(f"/local?before={before}", headers=HTML)
        assert response.status_code == 200
    async with database.session() as session:
        assert await session.scalar(select(func.count(Post.id))) == 25


async def test_the_home_page_previews_the_quartier(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    _, karim = await resident(database, settings, "karim")
    await write(database, settings, karim.id, "Fête de la rue samedi")
    page = (await client.get("/", headers=HTML)).text
    assert "Fête de la rue samedi" in page and 'href="/local"' in page
