"""Account services: the login limiter, invitations, authentication, resets, roles, mail."""

from __future__ import annotations

import smtplib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from actors import accounts, passwords
from actors.invitations import create_invitation, find_usable_invitation, use_invitation
from actors.login_limits import Limit, WindowLimiter, minutes_to_wait
from actors.mail import build_message, send_message
from actors.services import create_account
from config.errors import Conflict, DomainError, NotAllowed
from config.settings import MailSettings, Settings
from storage.database import Database
from storage.models import Account, PasswordReset, utcnow
from webui.pages.accounts import safe_next
from webui.pages.admin import normalise_domain

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------------------------------------
# The window limiter (reset mails)


def test_the_limiter_refuses_after_five_failures_and_forgets_after_the_window() -> None:
    clock = Clock()
    limiter = WindowLimiter(clock=clock)
    for _ in range(5):
        assert limiter.retry_after("192.0.2.1", "amelie") == 0
        limiter.record_failure("192.0.2.1", "amelie")
        clock.now += 10
    assert limiter.retry_after("192.0.2.1", "Amelie") == pytest.approx(900 - 50)
    assert limiter.retry_after("192.0.2.2", "amelie") > 0  # another address, same name
    assert limiter.retry_after("192.0.2.1", "bernard") == 0  # same address, under its own limit
    clock.now += 900 - 50 + 1
    assert limiter.retry_after("192.0.2.1", "amelie") == 0


def test_the_window_slides() -> None:
    clock = Clock()
    limiter = WindowLimiter(per_username=Limit(2, 60), clock=clock)
    limiter.record_failure("a", "amelie")
    clock.now += 30
    limiter.record_failure("a", "amelie")
    assert limiter.retry_after("a", "amelie") == pytest.approx(30)
    clock.now += 31
    assert limiter.retry_after("a", "amelie") == 0


def test_an_address_has_its_own_larger_limit() -> None:
    limiter = WindowLimiter(per_address=Limit(3, 60), clock=Clock())
    for name in ("a", "b", "c"):
        limiter.record_failure("192.0.2.1", name)
    assert limiter.retry_after("192.0.2.1", "d") > 0


def test_a_success_resets_the_username_only() -> None:
    limiter = WindowLimiter(per_address=Limit(6, 60), clock=Clock())
    for _ in range(5):
        limiter.record_failure("192.0.2.1", "amelie")
    limiter.record_success("amelie")
    assert limiter.retry_after("192.0.2.1", "amelie") == 0
    limiter.record_failure("192.0.2.1", "amelie")
    assert limiter.retry_after("192.0.2.1", "bernard") > 0


def test_minutes_to_wait_rounds_up() -> None:
    assert [minutes_to_wait(s) for s in (1, 60, 61, 899)] == [1, 1, 2, 15]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/home", "/home"),
        ("/a?b=c#d", "/a?b=c#d"),
        (None, "/"),
        ("", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/ /evil", "/"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("spam.example", "spam.example"),
        ("  HTTPS://Spam.Example:8443/path ", "spam.example"),
        ("@troll@spam.example", "spam.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("localhost", None),
        ("not a domain", None),
        ("", None),
    ],
)
def test_normalise_domain(text: str, expected: str | None) -> None:
    assert normalise_domain(text) == expected


# ---------------------------------------------------------------------------------------------
# Invitations


async def test_an_invitation_is_used_up_after_its_last_use(database: Database) -> None:
    async with database.transaction() as session:
        created = await create_invitation(session, created_by_id=None, max_uses=2)
    for expected in (True, True, False):
        async with database.transaction() as session:
            assert await use_invitation(session, created.code) is expected
    async with database.session() as session:
        assert await find_usable_invitation(session, created.code) is None


async def test_an_expired_or_unknown_invitation_is_not_usable(database: Database) -> None:
    async with database.transaction() as session:
        created = await create_invitation(session, created_by_id=None, valid_days=1)
        created.invitation.expires_at = utcnow() - timedelta(seconds=1)
    async with database.session() as session:
        assert await find_usable_invitation(session, created.code) is None
        assert await find_usable_invitation(session, "unknown") is None
        assert await find_usable_invitation(session, "") is None


async def test_invitation_bounds_are_checked(database: Database) -> None:
    async with database.transaction() as session:
        with pytest.raises(ValueError, match="max_uses"):
            await create_invitation(session, created_by_id=None, max_uses=0)
        with pytest.raises(ValueError, match="valid_days"):
            await create_invitation(session, created_by_id=None, valid_days=400)


# ---------------------------------------------------------------------------------------------
# Sign-up, authentication


async def test_sign_up_in_invitation_mode_needs_a_valid_code(
    database: Database, settings: Settings
) -> None:
    async with database.transaction() as session:
        with pytest.raises(NotAllowed) as raised:
            await accounts.sign_up(session, settings, username="amelie", password=PASSWORD)
    assert raised.value.code == "invitation_needed"


async def test_sign_up_refuses_taken_and_invalid_names(
    database: Database, settings: Settings
) -> None:
    open_mode = replace(settings, webui=replace(settings.webui, registration="open"))
    async with database.transaction() as session:
        await accounts.sign_up(session, open_mode, username="amelie", password=PASSWORD)
    for name, code in (("amelie", "name_taken"), ("instance", "invalid_username")):
        async with database.transaction() as session:
            with pytest.raises(DomainError) as raised:
                await accounts.sign_up(session, open_mode, username=name, password=PASSWORD)
        assert raised.value.code == code


async def test_authentication_checks_a_dummy_hash_for_unknown_names(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a verification that records what it checks
    checked: list[str] = []
    original = passwords.verify_password

    def recording(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return original(password_hash, password)

    monkeypatch.setattr("actors.accounts.verify_password", recording)
    async with database.transaction() as session:
        await create_account(session, settings, "amelie", PASSWORD)

    # When an unknown name and a known one are tried
    async with database.session() as session:
        unknown = await accounts.authenticate(session, "nobody", PASSWORD)
        known = await accounts.authenticate(session, "amelie", PASSWORD)

    # Then both ran one argon2 verification
    assert (unknown.outcome, known.outcome) == ("wrong", "ok")
    assert len(checked) == 2 and all(h.startswith("$argon2") for h in checked)


@pytest.mark.parametrize(
    ("password", "confirmation", "problem"),
    [
        ("short", None, "too_short"),
        ("x" * 2000, None, "too_long"),
        ("long enough pass", "other", "mismatch"),
        ("long enough pass", "long enough pass", None),
    ],
)
def test_password_rules(password: str, confirmation: str | None, problem: str | None) -> None:
    assert accounts.password_problem(password, confirmation) == problem


async def test_a_reset_code_is_stored_hashed_and_works_once(
    database: Database, settings: Settings
) -> None:
    async with database.transaction() as session:
        account = await create_account(session, settings, "amelie", PASSWORD)
        code = await accounts.issue_password_reset(session, account.id)
        second = await accounts.issue_password_reset(session, account.id)
    async with database.transaction() as session:
        assert await accounts.reset_password(session, code, "a brand new secret") is not None
    async with database.transaction() as session:
        assert await accounts.reset_password(session, code, "another new secret") is None
        # Using one link spends the other links of that account too
        assert await accounts.reset_password(session, second, "another new secret") is None
    async with database.session() as session:
        stored = (await session.scalars(select(PasswordReset.code_sha256))).all()
        assert accounts.reset_digest(code) in stored and code not in stored
        assert (
            await accounts.authenticate(session, "amelie", "a brand new secret")
        ).outcome == "ok"


# ---------------------------------------------------------------------------------------------
# Roles


async def test_the_last_active_admin_is_kept(database: Database, settings: Settings) -> None:
    async with database.transaction() as session:
        admin = await create_account(session, settings, "marguerite", PASSWORD, is_admin=True)
    async with database.transaction() as session:
        with pytest.raises(Conflict) as demoted:
            await accounts.set_roles(session, admin.id, is_admin=False, is_moderator=True)
    async with database.transaction() as session:
        with pytest.raises(Conflict) as suspended:
            await accounts.set_suspended(session, admin.id, True)
    assert demoted.value.code == suspended.value.code == "last_admin"
    async with database.transaction() as session:
        await create_account(session, settings, "bernard", PASSWORD, is_admin=True)
    async with database.transaction() as session:
        await accounts.set_suspended(session, admin.id, True)
    async with database.session() as session:
        stored = await session.get(Account, admin.id)
        assert stored is not None and stored.is_suspended


# ---------------------------------------------------------------------------------------------
# Mail


class RefusingSMTP:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise smtplib.SMTPConnectError(421, "try later")


async def test_a_refused_mail_is_logged_not_raised(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("actors.mail.smtplib.SMTP", RefusingSMTP)
    with_mail = replace(settings, mail=MailSettings(host="smtp.paquis.test"))
    message = build_message(with_mail, "amelie@example.ch", "Objet", "Corps")
    assert message["From"] == "Quartier Paquis <noreply@paquis.test>"
    assert await send_message(with_mail, message) is False
    assert "mail not sent" in caplog.text


async def test_no_mail_is_sent_without_a_host(settings: Settings) -> None:
    message = build_message(settings, "amelie@example.ch", "Objet", "Corps")
    assert await send_message(settings, message) is False
