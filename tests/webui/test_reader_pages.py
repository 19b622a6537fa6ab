"""A resident's timelines kept for them alone: the next time they open their feed or the
quartier, they get the page built for them before, until this server writes anything (a post,
a follow, an unfollow, a like, a deletion) or a few seconds pass, or their count of unread
notifications moves; no other resident is ever given it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx2
import pytest
import time_machine

from commons.notifications import notify
from commons.posts.removal import remove_post
from commons.posts.timelines import TimelinePage
from config.settings import Settings
from config.uris import Uris
from storage.database import Database
from storage.models import utcnow
from tests.webui.test_shared_listings import clients as clients  # the fixture
from tests.webui.test_timelines import follows, write
from tests.webui.test_visitor_pages import HTML
from tests.webui.test_visitor_pages import other_process as other_process  # the fixture
from tests.webui.web_support import log_in_as, resident
from webui.pages.posts import timelines as timeline_pages


async def test_a_residents_feed_and_quartier_are_kept_for_them_until_too_old(
    client: httpx2.AsyncClient, settings: Settings, database: Database, other_process: Database
) -> None:
    # Given Amina, who follows Karim, has opened her feed and the quartier
    _, karim = await resident(database, settings, "karim")
    amina = await log_in_as(client, settings, database, "amina")
    await follows(database, amina.actor.id, karim.id)
    for path in ("/home", "/local"):
        assert (await client.get(path, headers=HTML)).status_code == 200

    # When another process (a separate worker) stores a post of Karim's
    await write(other_process, settings, karim.id, "Vide-grenier dimanche")

    # Then she gets the pages kept for her until they are too old
    for path in ("/home", "/local"):
        kept = await client.get(path, headers=HTML)
        assert kept.status_code == 200 and "Vide-grenier" not in kept.text
        assert "/@amina" in kept.text and amina.csrf in kept.text
    later = utcnow() + timedelta(seconds=settings.webui.visitor_cache_seconds + 1)
    with time_machine.travel(later, tick=False):
        for path in ("/home", "/local"):
            assert "Vide-grenier" in (await client.get(path, headers=HTML)).text


async def test_a_post_of_someone_followed_and_its_deletion_show_at_once(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    _, karim = await resident(database, settings, "karim")
    amina = await log_in_as(client, settings, database, "amina")
    await follows(database, amina.actor.id, karim.id)
    assert "Vide-grenier" not in (await client.get("/home", headers=HTML)).text

    post = await write(database, settings, karim.id, "Vide-grenier dimanche", "followers")
    assert "Vide-grenier" in (await client.get("/home", headers=HTML)).text

    async with database.transaction() as session:
        await remove_post(session, Uris(settings.base_url), post.id)
    assert "Vide-grenier" not in (await client.get("/home", headers=HTML)).text


async def test_following_unfollowing_and_liking_show_at_once(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given Karim's followers-only post, and Amina, who does not follow him, reading her feed
    _, karim = await resident(database, settings, "karim")
    post = await write(database, settings, karim.id, "Code de la cour", "followers")
    amina = await log_in_as(client, settings, database, "amina")
    assert "Code de la cour" not in (await client.get("/home", headers=HTML)).text
    form = {"csrf_token": amina.csrf, "actor_id": str(karim.id), "next": "/home"}

    # When she follows him, her feed shows his post at once
    followed = await client.post("/search/follow", data=form)
    assert followed.status_code == 303
    page = (await client.get("/home", headers=HTML)).text
    assert "Code de la cour" in page and 'aria-pressed="true"' not in page

    # And a like of hers shows at once
    path = post.uri.removeprefix(settings.base_url)
    liked = await client.post(f"{path}/like", data={"csrf_token": amina.csrf, "next": "/home"})
    assert liked.status_code == 303
    assert 'aria-pressed="true"' in (await client.get("/home", headers=HTML)).text

    # And when she stops following him, his post leaves her feed at once
    assert (await client.post("/search/unfollow", data=form)).status_code == 303
    assert "Code de la cour" not in (await client.get("/home", headers=HTML)).text


async def test_a_residents_listing_is_never_given_to_another(
    clients: tuple[httpx2.AsyncClient, httpx2.AsyncClient],
    settings: Settings,
    database: Database,
) -> None:
    # Given Amina, who follows Karim and reads his followers-only post in her feed
    first, second = clients
    _, karim = await resident(database, settings, "karim")
    amina = await log_in_as(first, settings, database, "amina")
    bastien = await log_in_as(second, settings, database, "bastien")
    await follows(database, amina.actor.id, karim.id)
    await write(database, settings, karim.id, "Code de la cour", "followers")
    await write(database, settings, karim.id, "Fête de la rue samedi")
    for path in ("/home", "/local"):
        assert (await first.get(path, headers=HTML)).status_code == 200

    # When Bastien, who follows nobody, opens the same pages right after
    home = (await second.get("/home", headers=HTML)).text
    local = (await second.get("/local", headers=HTML)).text

    # Then he gets his own: nothing of Amina's feed, her name or her token
    assert "Code de la cour" not in home and "Fête de la rue" not in home
    assert "Fête de la rue" in local and "Code de la cour" not in local
    for page in (home, local):
        assert "/@bastien" in page and bastien.csrf in page
        assert "/@amina" not in page and amina.csrf not in page
    # And the quartier never shows a followers-only post, even to a follower
    assert "Code de la cour" not in (await first.get("/local", headers=HTML)).text


async def test_a_new_notification_or_a_message_waiting_gives_a_fresh_page(
    client: httpx2.AsyncClient, settings: Settings, database: Database, other_process: Database
) -> None:
    # Given Amina's feed kept for her
    _, karim = await resident(database, settings, "karim")
    amina = await log_in_as(client, settings, database, "amina")
    await follows(database, amina.actor.id, karim.id)
    assert "nav-count" not in (await client.get("/home", headers=HTML)).text

    # When another process notifies her and stores a post of Karim's
    async with other_process.transaction() as session:
        await notify(session, amina.actor.id, "follow", None)
    await write(other_process, settings, karim.id, "Vide-grenier dimanche")

    # Then her next page counts the notification, and shows the post read with it
    page = (await client.get("/home", headers=HTML)).text
    assert 'class="nav-count">1<' in page and "Vide-grenier" in page


async def test_readers_of_the_same_page_at_once_wait_for_one_build(
    client: httpx2.AsyncClient,
    settings: Settings,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given Amina's feed, whose reading takes a moment
    await log_in_as(client, settings, database, "amina")
    reads: list[int] = []
    read_feed = timeline_pages.home_timeline

    async def slow_read(*arguments: Any) -> TimelinePage:
        reads.append(1)
        await asyncio.sleep(0.05)
        return await read_feed(*arguments)

    monkeypatch.setattr(timeline_pages, "home_timeline", slow_read)

    # When she opens it in five tabs at once
    pages = await asyncio.gather(*(client.get("/home", headers=HTML) for _ in range(5)))

    # Then it is read once, and every tab shows it
    assert [page.status_code for page in pages] == [200] * 5
    assert len({page.text for page in pages}) == 1 and reads == [1]
