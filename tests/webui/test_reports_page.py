"""The reports page: moderators and admins see what other servers reported, with the reason and
the post, and mark it handled; residents may not see it; the overview counts what waits."""

from __future__ import annotations

import httpx2
import pytest
from sqlalchemy import func, select, update

from actors.reports import MAX_COMMENT, receive_report, report_post, reported_here
from commons.posts.cards import PostCard
from commons.posts.services import publish_note
from config.settings import Settings
from config.uris import Uris
from storage.database import Database
from storage.models import Account, Actor, Delivery, Notification, Report
from tests.actors.actor_support import use_session_keys
from tests.outbox.outbox_support import create_remote_actor
from tests.webui.web_support import Resident, log_in_as, resident

HTML = {"Accept": "text/html"}
REASON = "Annonce trompeuse, déjà signalée deux fois"


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


async def a_reported_post(database: Database, settings: Settings) -> Report:
    """Amélie's post, reported by a server elsewhere."""
    _account, amelie = await resident(database, settings, "amelie")
    reporter = await create_remote_actor(database)
    async with database.transaction() as session:
        author = await session.get(Actor, amelie.id)
        assert author is not None
        post = await publish_note(session, Uris(settings.base_url), author, "Vélo neuf à 20 francs")
        reported = await reported_here(session, [post.uri])
        report = await receive_report(
            session,
            uri="http://remote.test/flags/1",
            reporter=reporter,
            named=[post.uri],
            comment=REASON,
            reported=reported,
        )
    assert report is not None
    return report


async def moderator(client: httpx2.AsyncClient, settings: Settings, database: Database) -> Resident:
    marc = await log_in_as(client, settings, database, "marc")
    async with database.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == marc.account.id).values(is_moderator=True)
        )
    return marc


async def test_a_moderator_sees_the_report_and_marks_it_handled(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given Marc, a moderator, and a report from another server about Amélie's post
    marc = await moderator(client, settings, database)
    report = await a_reported_post(database, settings)

    # When he opens his notifications and the overview
    notifications = await client.get("/notifications", headers=HTML)
    overview = await client.get("/admin", headers=HTML)

    # Then he is told, and the overview counts one report to look at
    assert "a envoyé un signalement aux modérateurs" in notifications.text
    assert 'href="/admin/reports"' in notifications.text
    assert "signalements à examiner" in overview.text

    # When he opens the reports
    page = await client.get("/admin/reports", headers=HTML)

    # Then the report is there, in French, with the reason, the server and the post
    assert page.status_code == 200
    assert "À examiner" in page.text
    assert REASON in page.text
    assert "Signalé depuis remote.test" in page.text
    assert "Vélo neuf à 20 francs" in page.text

    # When he marks it handled
    done = await client.post(
        f"/admin/reports/{report.id}/resolve", data={"csrf_token": marc.csrf}, headers=HTML
    )

    # Then it is no longer waiting, and it says who handled it
    assert done.status_code == 303
    after = await client.get("/admin/reports", headers=HTML)
    assert "Aucun signalement n'attend." in after.text
    assert "Traités récemment" in after.text
    async with database.session() as session:
        kept = await session.scalar(select(Report).where(Report.id == report.id))
    assert kept is not None and kept.resolved_by_id == marc.actor.id


async def test_a_resident_may_neither_read_nor_handle_reports(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    report = await a_reported_post(database, settings)
    ines = await log_in_as(client, settings, database, "ines")

    assert (await client.get("/admin/reports", headers=HTML)).status_code == 403
    refused = await client.post(
        f"/admin/reports/{report.id}/resolve", data={"csrf_token": ines.csrf}, headers=HTML
    )
    assert refused.status_code == 403
    async with database.session() as session:
        kept = await session.scalar(select(Report).where(Report.id == report.id))
    assert kept is not None and kept.resolved_at is None


async def test_a_resident_reports_a_post_of_the_neighbourhood(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given Léa, the admin, and a post by Amélie; Inès is logged in
    await resident(database, settings, "lea", admin=True)
    _account, amelie = await resident(database, settings, "amelie")
    async with database.transaction() as session:
        author = await session.get(Actor, amelie.id)
        assert author is not None
        post = await publish_note(session, Uris(settings.base_url), author, "Vélo neuf à 20 francs")
        page_url = PostCard(post, author, settings.base_url).page_url
    ines = await log_in_as(client, settings, database, "ines")

    # When she opens the post, then its report form
    thread = await client.get(page_url, headers=HTML)
    form = await client.get(f"{page_url}/report", headers=HTML)

    # Then the post offers to report it, and the form (for a post of here) has nothing to forward
    assert "Signaler cette publication" in thread.text
    assert form.status_code == 200
    assert "Pourquoi ? (pour les modérateurs)" in form.text
    assert 'name="forward"' not in form.text

    # When she sends it with her reason
    sent = await client.post(
        f"{page_url}/report",
        data={"csrf_token": ines.csrf, "comment": REASON},
        headers=HTML,
    )

    # Then she is thanked on the post's page, the report is kept, and Léa is told
    assert sent.status_code == 303 and sent.headers["location"] == page_url
    async with database.session() as session:
        (report,) = list(await session.scalars(select(Report)))
        told = list(
            await session.scalars(
                select(Notification.kind).where(Notification.recipient_id != ines.actor.id)
            )
        )
        deliveries = await session.scalar(select(func.count(Delivery.id)))
    assert (report.reporter_id, report.account_id, report.comment) == (
        ines.actor.id,
        amelie.id,
        REASON,
    )
    assert told == ["report"]
    assert deliveries == 0


async def test_nobody_reports_their_own_post_and_a_reason_has_a_limit(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    amelie = await log_in_as(client, settings, database, "amelie")
    async with database.transaction() as session:
        author = await session.get(Actor, amelie.actor.id)
        assert author is not None
        post = await publish_note(session, Uris(settings.base_url), author, "Mon vélo")
        page_url = PostCard(post, author, settings.base_url).page_url

    assert (await client.get(f"{page_url}/report", headers=HTML)).status_code == 404
    assert "Signaler cette publication" not in (await client.get(page_url, headers=HTML)).text

    ines = await log_in_as(client, settings, database, "ines")
    too_long = await client.post(
        f"{page_url}/report",
        data={"csrf_token": ines.csrf, "comment": "x" * (MAX_COMMENT + 1)},
        headers=HTML,
    )
    assert too_long.status_code == 400
    assert "La raison est trop longue." in too_long.text
    async with database.session() as session:
        assert await session.scalar(select(func.count(Report.id))) == 0


async def test_a_residents_report_names_her_to_the_moderators(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given Amélie's post, reported here by Inès
    _account, amelie = await resident(database, settings, "amelie")
    _account, ines = await resident(database, settings, "ines")
    async with database.transaction() as session:
        author = await session.get(Actor, amelie.id)
        reporter = await session.get(Actor, ines.id)
        assert author is not None and reporter is not None
        post = await publish_note(session, Uris(settings.base_url), author, "Vélo à 5 francs")
        await report_post(
            session, settings, reporter=reporter, post=post, comment=REASON, forward=True
        )

    # When Léa, an admin, opens the reports
    await log_in_as(client, settings, database, "lea", admin=True)
    page = await client.get("/admin/reports", headers=HTML)

    # Then the report says who made it, and what about
    assert "Signalé par ines" in page.text
    assert "Vélo à 5 francs" in page.text
