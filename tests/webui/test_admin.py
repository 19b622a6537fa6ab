"""Administration pages: roles checked on every page and action, invitations, accounts, blocks."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx2
import pytest
from sqlalchemy import select, update

from actors.services import create_account
from config.settings import Settings
from instance.runtime import Instance
from storage.database import Database
from storage.models import (
    Account,
    Actor,
    DomainBlock,
    Host,
    Invitation,
    PasswordReset,
    utcnow,
)
from tests.actors.actor_support import use_session_keys
from tests.outbox.outbox_support import create_remote_actor, enqueue
from tests.webui.web_support import Resident, log_in_as, resident

HTML = {"Accept": "text/html"}
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


def instance_of_client(client: httpx2.AsyncClient) -> Instance:
    transport = client._transport
    assert isinstance(transport, httpx2.ASGITransport)
    instance: Instance = transport.app.state.instance  # type: ignore[attr-defined]
    return instance


async def make_moderator(database: Database, account_id: int) -> None:
    async with database.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == account_id).values(is_moderator=True)
        )


ADMIN_PAGES = ["/admin/signups", "/admin/invitations", "/admin/accounts"]
MODERATOR_PAGES = ["/admin", "/admin/domains", "/admin/health"]
ADMIN_ACTIONS = [
    "/admin/signups/{id}/approve",
    "/admin/signups/{id}/refuse",
    "/admin/invitations",
    "/admin/invitations/{invitation}/revoke",
    "/admin/accounts/{id}/suspend",
    "/admin/accounts/{id}/restore",
    "/admin/accounts/{id}/roles",
    "/admin/accounts/{id}/reset",
    "/admin/domains",
    "/admin/domains/remove",
]


@pytest.mark.parametrize("role", ["resident", "moderator"])
async def test_only_admins_open_admin_pages(
    client: httpx2.AsyncClient, settings: Settings, database: Database, role: str
) -> None:
    me = await log_in_as(client, settings, database, "amelie")
    if role == "moderator":
        await make_moderator(database, me.account.id)
    for path in ADMIN_PAGES:
        assert (await client.get(path, headers=HTML)).status_code == 403, path
    for path in MODERATOR_PAGES:
        expected = 200 if role == "moderator" else 403
        assert (await client.get(path, headers=HTML)).status_code == expected, path


async def test_anonymous_visitors_are_sent_to_log_in(client: httpx2.AsyncClient) -> None:
    response = await client.get("/admin/accounts", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/accounts"


@pytest.mark.parametrize("role", ["resident", "moderator"])
@pytest.mark.parametrize("action", ADMIN_ACTIONS)
async def test_a_forged_admin_action_is_refused(
    client: httpx2.AsyncClient, settings: Settings, database: Database, role: str, action: str
) -> None:
    # Given a resident (or moderator) with a valid session token, and a pending sign-up
    me = await log_in_as(client, settings, database, "amelie")
    if role == "moderator":
        await make_moderator(database, me.account.id)
    target, _ = await resident(database, settings, "bernard")
    async with database.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == target.id).values(is_approved=False)
        )
        session.add(Invitation(code_sha256="0" * 64, max_uses=1, uses=0))
        session.add(DomainBlock(domain="spam.test", reason=""))
        invitation_id = await session.scalar(select(Invitation.id))

    # When they post an admin form as if they were an admin
    path = action.format(id=target.id, invitation=invitation_id)
    data = {
        "csrf_token": me.csrf,
        "is_admin": "1",
        "domain": "spam.test",
        "max_uses": "5",
        "valid_days": "7",
    }
    response = await client.post(path, data=data, headers=HTML)

    # Then it is refused and nothing changed
    assert response.status_code == 403
    async with database.session() as session:
        account = await session.get(Account, target.id)
        assert account is not None and not account.is_admin and not account.is_approved
        assert not account.is_suspended
        assert await session.get(DomainBlock, "spam.test") is not None
        assert len((await session.scalars(select(Invitation))).all()) == 1
        assert (await session.scalars(select(PasswordReset))).all() == []


@pytest.mark.parametrize("action", ADMIN_ACTIONS)
@pytest.mark.parametrize("token", ["missing", "wrong"])
async def test_admin_actions_refuse_a_missing_or_wrong_token(
    client: httpx2.AsyncClient, settings: Settings, database: Database, action: str, token: str
) -> None:
    me = await log_in_as(client, settings, database, "marguerite", admin=True)
    data = {"domain": "spam.test"} | ({"csrf_token": "forged"} if token == "wrong" else {})
    path = action.format(id=me.account.id, invitation=1)
    response = await client.post(path, data=data, headers=HTML)
    assert response.status_code == 403


async def test_refusing_a_sign_up_deletes_the_request(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    target, target_actor = await resident(database, settings, "bernard")
    async with database.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == target.id).values(is_approved=False)
        )
    response = await client.post(
        f"/admin/signups/{target.id}/refuse", data={"csrf_token": admin.csrf}
    )
    assert response.status_code == 303
    async with database.session() as session:
        assert await session.get(Account, target.id) is None
        assert await session.get(Actor, target_actor.id) is None


@pytest.mark.parametrize("max_uses", ["0", "²", "9" * 5000, "2147483648"])
async def test_an_invitation_for_a_number_of_people_that_cannot_be_is_refused_in_french(
    client: httpx2.AsyncClient, settings: Settings, database: Database, max_uses: str
) -> None:
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    refused = await client.post(
        "/admin/invitations",
        data={"csrf_token": admin.csrf, "max_uses": max_uses, "valid_days": "7"},
        headers=HTML,
    )
    assert refused.status_code == 400 and "Indiquez un nombre entre 1 et" in refused.text
    async with database.session() as session:
        assert await session.scalar(select(Invitation)) is None


async def test_an_invitation_link_is_shown_once_then_works_then_can_be_revoked(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)

    # When an admin creates an invitation for three people, valid a week
    created = await client.post(
        "/admin/invitations",
        data={"csrf_token": admin.csrf, "max_uses": "3", "valid_days": "7"},
        headers=HTML,
    )

    # Then the full link is shown once, and never again
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    link = re.search(r"http://paquis\.test/invite/([\w-]+)", created.text)
    assert link is not None
    listing = await client.get("/admin/invitations", headers=HTML)
    assert link.group(1) not in listing.text and "0 / 3" in listing.text
    async with database.session() as session:
        invitation = await session.scalar(select(Invitation))
        assert invitation is not None and invitation.max_uses == 3
        assert invitation.expires_at is not None
        assert timedelta(days=6) < invitation.expires_at - utcnow() <= timedelta(days=7)

    # And the link opens the sign-up form; once revoked, it no longer does
    async with httpx2.AsyncClient(
        transport=client._transport, base_url=settings.base_url
    ) as visitor:
        page = await visitor.get(f"/invite/{link.group(1)}", headers=HTML)
        assert 'name="password"' in page.text
        revoked = await client.post(
            f"/admin/invitations/{invitation.id}/revoke", data={"csrf_token": admin.csrf}
        )
        assert revoked.status_code == 303
        page = await visitor.get(f"/invite/{link.group(1)}", headers=HTML)
        assert 'name="password"' not in page.text


async def test_invitation_form_errors_are_shown(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    response = await client.post(
        "/admin/invitations",
        data={"csrf_token": admin.csrf, "max_uses": "0", "valid_days": "7"},
        headers=HTML,
    )
    assert response.status_code == 400
    assert "Indiquez un nombre entre 1 et 1000" in response.text


async def test_a_reset_link_works_once(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given an admin who issues a reset link for a resident
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    target, _ = await resident(database, settings, "bernard")
    issued = await client.post(
        f"/admin/accounts/{target.id}/reset", data={"csrf_token": admin.csrf}, headers=HTML
    )
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    found = re.search(r"http://paquis\.test(/reset/[\w-]+)", issued.text)
    assert found is not None
    path = found.group(1)
    async with database.session() as session:
        reset = await session.scalar(select(PasswordReset))
        assert reset is not None and path.rsplit("/", 1)[1] not in reset.code_sha256

    async with httpx2.AsyncClient(
        transport=client._transport, base_url=settings.base_url
    ) as visitor:
        # When the resident sets a new password with it
        page = await visitor.get(path, headers=HTML)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        new = "une nouvelle phrase secrète"
        form = {"csrf_token": token.group(1), "password": new, "password_confirm": new}
        assert (await visitor.post(path, data=form)).status_code == 303

        # Then the link works no more, and the new password does
        again = await visitor.post(path, data=form, headers=HTML)
        assert again.status_code == 404 and "ne fonctionne plus" in again.text
        login = {"csrf_token": token.group(1), "username": "bernard", "password": new}
        assert (await visitor.post("/login", data=login)).status_code == 303


async def test_a_reset_link_expires_after_a_day(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    target, _ = await resident(database, settings, "bernard")
    issued = await client.post(
        f"/admin/accounts/{target.id}/reset", data={"csrf_token": admin.csrf}, headers=HTML
    )
    found = re.search(r"http://paquis\.test(/reset/[\w-]+)", issued.text)
    assert found is not None
    async with database.transaction() as session:
        await session.execute(
            update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    page = await client.get(found.group(1), headers=HTML)
    assert page.status_code == 404 and "ne fonctionne plus" in page.text


async def test_suspending_and_restoring_an_account(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    target, _ = await resident(database, settings, "bernard")
    listing = await client.get("/admin/accounts?q=bern", headers=HTML)
    assert "Suspendre @bernard" in listing.text and "Suspendre @marguerite" not in listing.text
    await client.post(f"/admin/accounts/{target.id}/suspend", data={"csrf_token": admin.csrf})
    async with database.session() as session:
        account = await session.get(Account, target.id)
        assert account is not None and account.is_suspended
    await client.post(f"/admin/accounts/{target.id}/restore", data={"csrf_token": admin.csrf})
    async with database.session() as session:
        account = await session.get(Account, target.id)
        assert account is not None and not account.is_suspended


async def test_the_last_admin_cannot_demote_or_suspend_themselves(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given the only admin
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    roles = f"/admin/accounts/{admin.account.id}/roles"

    # When she tries to drop her role or suspend herself, it is refused with a message
    for path, data in (
        (roles, {"is_moderator": "1"}),
        (f"/admin/accounts/{admin.account.id}/suspend", {}),
    ):
        response = await client.post(path, data={"csrf_token": admin.csrf, **data})
        assert response.status_code == 303
        page = await client.get("/admin/accounts", headers=HTML)
        assert "dernière admin" in page.text
    async with database.session() as session:
        account = await session.get(Account, admin.account.id)
        assert account is not None and account.is_admin and not account.is_suspended

    # But once another admin exists, she can step down
    await resident(database, settings, "bernard", admin=True)
    await client.post(roles, data={"csrf_token": admin.csrf, "is_moderator": "1"})
    async with database.session() as session:
        account = await session.get(Account, admin.account.id)
        assert account is not None and not account.is_admin and account.is_moderator


async def test_giving_a_role(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    target, _ = await resident(database, settings, "bernard")
    await client.post(
        f"/admin/accounts/{target.id}/roles",
        data={"csrf_token": admin.csrf, "is_moderator": "1"},
    )
    async with database.session() as session:
        account = await session.get(Account, target.id)
        assert account is not None and account.is_moderator and not account.is_admin


async def test_blocking_and_unblocking_a_domain(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    blocks = instance_of_client(client).blocks
    assert not await blocks.is_blocked("sub.spam.test")  # warms the cache

    # When an admin blocks a domain typed as a URL
    response = await client.post(
        "/admin/domains",
        data={"csrf_token": admin.csrf, "domain": "https://Spam.Test/about", "reason": "Pourriel"},
    )

    # Then it is stored, normalised, and the inbox's cache knows at once
    assert response.status_code == 303
    assert await blocks.is_blocked("sub.spam.test")
    page = await client.get("/admin/domains", headers=HTML)
    assert "spam.test" in page.text and "Pourriel" in page.text

    # And removing it lifts the block at once
    response = await client.post(
        "/admin/domains/remove", data={"csrf_token": admin.csrf, "domain": "spam.test"}
    )
    assert response.status_code == 303
    assert not await blocks.is_blocked("sub.spam.test")
    async with database.session() as session:
        assert await session.get(DomainBlock, "spam.test") is None


@pytest.mark.parametrize("domain", ["", "not a domain", "paquis.test"])
async def test_a_wrong_domain_is_refused(
    client: httpx2.AsyncClient, settings: Settings, database: Database, domain: str
) -> None:
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    response = await client.post(
        "/admin/domains", data={"csrf_token": admin.csrf, "domain": domain}, headers=HTML
    )
    assert response.status_code == 400
    assert 'id="error-domain"' in response.text


async def test_the_health_page_shows_queues_and_failing_hosts(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given three queued deliveries and a failing, parked host
    admin: Resident = await log_in_as(client, settings, database, "marguerite", admin=True)
    await create_remote_actor(database)
    await enqueue(database, admin.actor, ["http://a.test/inbox", "http://b.test/inbox"])
    await enqueue(database, admin.actor, ["http://a.test/inbox"])
    async with database.transaction() as session:
        session.add(
            Host(
                host="down.test",
                consecutive_failures=12,
                first_failure_at=utcnow() - timedelta(days=2),
                parked_until=utcnow() + timedelta(hours=3),
            )
        )

    # When the health page is opened
    page = await client.get("/admin/health", headers=HTML)

    # Then it shows the queue depth, the failing host and the latest deliveries
    assert page.status_code == 200
    assert "<dt>queued</dt><dd>3</dd>" in page.text
    assert "down.test" in page.text and "<td>12</td>" in page.text
    assert page.text.count("http://a.test/inbox") == 2


async def test_the_dashboard_counts_pending_sign_ups(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    await log_in_as(client, settings, database, "marguerite", admin=True)
    async with database.transaction() as session:
        account = await create_account(session, settings, "bernard", PASSWORD)
        account.is_approved = False
    page = await client.get("/admin", headers=HTML)
    assert page.status_code == 200
    assert re.search(r'<span class="stat">1</span>\s*demandes d', page.text)
