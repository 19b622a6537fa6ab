"""Reports from other servers (``Flag``): kept once, with their reason, for the moderators and
admins, and for the people who run a reported collective; a report about nothing of ours is not.

Each Flag is signed by its sender's key and goes through the real inbox and worker. The shapes
are those Mastodon (its instance actor; account and posts in ``object``; ``content``), Lemmy
(one post; ``summary``) and Mbin send.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from actors.services import create_account, create_group
from commons.posts.services import publish_note
from config.uris import Uris
from storage.models import Actor, Notification, Post, Report
from tests.inbox.fediverse import Fediverse, fediverse

REASON = "Ce compte publie des annonces trompeuses"


async def neighbourhood(world: Fediverse) -> dict[str, Any]:
    """Amélie (a resident) and her post, Léa (the admin), Marc (a moderator), Inès (a resident),
    and the repair café run by Inès."""
    settings = world.instance.settings
    async with world.instance.database.transaction() as session:
        amelie = await create_account(session, settings, "amelie", "password123")
        await create_account(session, settings, "lea", "password123", is_admin=True)
        marc = await create_account(session, settings, "marc", "password123")
        marc.is_moderator = True
        await create_account(session, settings, "ines", "password123")
        cafe = await create_group(session, settings, "repair", "space", "ines")
        author = await session.get(Actor, amelie.actor_id)
        assert author is not None
        post = await publish_note(session, Uris(settings.base_url), author, "Vélo à vendre")
        return {"amelie": author.uri, "post": post.uri, "cafe": cafe.uri}


async def told(world: Fediverse, username: str) -> list[str]:
    """The kinds of notification ``username`` has."""
    async with world.instance.database.session() as session:
        found = await session.scalars(
            select(Notification.kind)
            .join(Actor, Actor.id == Notification.recipient_id)
            .where(Actor.username == username, Actor.is_local.is_(True))
        )
        return list(found)


async def reports(world: Fediverse) -> list[Report]:
    async with world.instance.database.session() as session:
        return list(await session.scalars(select(Report).order_by(Report.id)))


async def test_a_mastodon_report_reaches_the_moderators_and_admins_once(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        ours = await neighbourhood(world)
        # Given Mastodon's instance actor, which sends the reports of its users
        mastodon = world["mastodon.test"].add_actor("actor", kind="Application")
        flag = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": world["mastodon.test"].url("/ccb4f39a-506a-490e-9a8c-71831c7713a4"),
            "type": "Flag",
            "actor": mastodon,
            "content": REASON,
            "object": [ours["amelie"], ours["post"]],
            "to": ours["amelie"],
        }

        # When it reports Amélie and her post, twice (a retried delivery)
        for _ in range(2):
            answer = await world.post_as(mastodon, flag)
            assert answer.status_code == 202, answer.text
        await world.handle()

        # Then one report is kept, about her and her post, with the reason
        (report,) = await reports(world)
        assert report.comment == REASON
        async with world.instance.database.session() as session:
            account = await session.get(Actor, report.account_id)
            reporter = await session.get(Actor, report.reporter_id)
        assert account is not None and account.uri == ours["amelie"]
        assert reporter is not None and reporter.uri == mastodon
        assert ours["post"] in report.object_uris
        assert report.resolved_at is None

        # And the admin and the moderator are told, the reported resident and others are not
        assert await told(world, "lea") == ["report"]
        assert await told(world, "marc") == ["report"]
        assert await told(world, "amelie") == []
        assert await told(world, "ines") == []


async def test_a_lemmy_report_of_a_post_names_its_author_and_keeps_the_summary(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path, hosts=("lemmy.test",)) as world:
        ours = await neighbourhood(world)
        reporter = world["lemmy.test"].add_actor("lemmy_alpha")
        flag = {
            "id": world["lemmy.test"].url("/activities/flag/98b0933f"),
            "type": "Flag",
            "actor": reporter,
            "to": [ours["cafe"]],
            "object": ours["post"],
            "summary": "<p>Arnaque</p>",
        }
        assert (await world.post_as(reporter, flag)).status_code == 202
        await world.handle()

        (report,) = await reports(world)
        assert report.comment == "Arnaque"
        async with world.instance.database.session() as session:
            post = await session.scalar(select(Post).where(Post.uri == ours["post"]))
        assert post is not None and report.account_id == post.actor_id


async def test_a_report_of_a_collective_tells_the_people_who_run_it(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        ours = await neighbourhood(world)
        reporter = world["mastodon.test"].add_actor("actor", kind="Application")
        flag = {
            "id": world["mastodon.test"].url("/flags/2"),
            "type": "Flag",
            "actor": reporter,
            "content": "Spam",
            "object": [ours["cafe"]],
        }
        assert (await world.post_as(reporter, flag)).status_code == 202
        await world.handle()

        assert len(await reports(world)) == 1
        assert await told(world, "ines") == ["report"]
        assert await told(world, "lea") == ["report"]


async def test_a_report_about_nothing_of_ours_is_not_kept(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        await neighbourhood(world)
        reporter = world["mastodon.test"].add_actor("actor", kind="Application")
        flag = {
            "id": world["mastodon.test"].url("/flags/3"),
            "type": "Flag",
            "actor": reporter,
            "content": "Spam",
            "object": ["https://elsewhere.test/users/someone", "https://paquis.test/@nobody"],
        }
        assert (await world.post_as(reporter, flag)).status_code == 202
        await world.handle()

        assert await reports(world) == []
        assert await told(world, "lea") == []
