"""Residents' accounts: sign-up, log-in, passwords and deletion.

The profile is changed in :mod:`actors.profiles`, what admins do to accounts is in
:mod:`actors.moderation`; their names are importable from here as well."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Literal

import anyio.to_thread
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from actors.invitations import use_invitation
from actors.moderation import approve_account as approve_account
from actors.moderation import is_last_admin as is_last_admin
from actors.moderation import pending_accounts as pending_accounts
from actors.moderation import refuse_account as refuse_account
from actors.moderation import search_accounts as search_accounts
from actors.moderation import set_roles as set_roles
from actors.moderation import set_suspended as set_suspended
from actors.passwords import hash_password, verify_password
from actors.profiles import MAX_BIO as MAX_BIO
from actors.profiles import MAX_DISPLAY_NAME as MAX_DISPLAY_NAME
from actors.profiles import ImageChange as ImageChange
from actors.profiles import ProfileChange as ProfileChange
from actors.profiles import enqueue_actor_update as enqueue_actor_update
from actors.profiles import update_profile as update_profile
from actors.services import create_account, find_account
from actors.web_sessions import end_sessions
from commons.events.dates import remove_events_of
from config.errors import ErrorCode, NotAllowed
from config.settings import Settings
from config.uris import Uris, is_valid_username, normalise_username
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import (
    Account,
    Activity,
    Actor,
    ApiToken,
    Delivery,
    PasswordReset,
    Post,
    utcnow,
)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
RESET_VALID_FOR = timedelta(hours=24)
MAX_SIGNUP_REASON = 2000

Outcome = Literal["ok", "wrong", "suspended", "pending"]


def password_problem(password: str, confirmation: str | None = None) -> ErrorCode | None:
    """``too_short``, ``too_long`` or ``mismatch``; None when the new password is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return ErrorCode.PASSWORD_TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return ErrorCode.TOO_LONG
    if confirmation is not None and confirmation != password:
        return ErrorCode.PASSWORD_MISMATCH
    return None


def username_problem(username: str) -> ErrorCode | None:
    """``invalid_username`` or None; whether it is taken is known only when creating."""
    if is_valid_username(normalise_username(username)):
        return None
    return ErrorCode.INVALID_USERNAME


# ---------------------------------------------------------------------------------------------
# Logging in


@dataclass(frozen=True, slots=True)
class Authentication:
    outcome: Outcome
    account: Account | None = None


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


async def _verify(password_hash: str, password: str) -> bool:
    return await anyio.to_thread.run_sync(verify_password, password_hash, password)


async def authenticate(session: AsyncSession, username: str, password: str) -> Authentication:
    """Check a password in the same time whether the account exists or not.

    The account's state (suspended, waiting for approval) is told only to someone who knows the
    password, so the login form does not reveal which names exist.
    """
    account = None
    if len(password) <= MAX_PASSWORD_LENGTH:
        account = await find_account(session, normalise_username(username)[:64])
    if account is None or not account.password_hash:
        await _verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        return Authentication("wrong")
    if not await _verify(account.password_hash, password):
        return Authentication("wrong")
    actor = await session.get(Actor, account.actor_id)
    if account.is_suspended or actor is None or actor.is_gone:
        return Authentication("suspended", account)
    if not account.is_approved:
        return Authentication("pending", account)
    return Authentication("ok", account)


# ---------------------------------------------------------------------------------------------
# Signing up


async def sign_up(
    session: AsyncSession,
    settings: Settings,
    *,
    username: str,
    password: str,
    reason: str = "",
    invite_code: str = "",
    email: str = "",
    language: str = "fr",
) -> Account:
    """A new resident in the instance's registration mode.

    A valid invitation admits the person at once in every mode (and counts one use); without
    one, ``invitation`` mode refuses (``invitation_needed``) and ``approval`` mode keeps the
    account waiting for an admin. Raises InvalidUsername or NameTaken.
    """
    mode = settings.webui.registration
    invited = bool(invite_code) and await use_invitation(session, invite_code)
    if mode == "invitation" and not invited:
        raise NotAllowed(ErrorCode.INVITATION_NEEDED, "username")
    account = await create_account(session, settings, username, password)
    account.is_approved = invited or mode == "open"
    account.signup_reason = reason.strip()[:MAX_SIGNUP_REASON] or None
    account.email = email.strip() or None
    account.language = language
    await session.flush()
    return account


# ---------------------------------------------------------------------------------------------
# Passwords


def reset_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def issue_password_reset(session: AsyncSession, account_id: int) -> str:
    """A one-use code valid for 24 hours; only its SHA-256 is kept."""
    code = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            code_sha256=reset_digest(code),
            account_id=account_id,
            expires_at=utcnow() + RESET_VALID_FOR,
        )
    )
    await session.flush()
    return code


async def find_password_reset(session: AsyncSession, code: str) -> PasswordReset | None:
    if not code or len(code) > 200:
        return None
    return await session.scalar(
        select(PasswordReset).where(
            PasswordReset.code_sha256 == reset_digest(code),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > utcnow(),
        )
    )


async def reset_password(session: AsyncSession, code: str, new_password: str) -> Account | None:
    """Use the code (once: a second, racing use finds it spent) and set the new password."""
    reset = await find_password_reset(session, code)
    if reset is None:
        return None
    now = utcnow()
    spent = await session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(spent, "rowcount", 0):
        return None
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.account_id == reset.account_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    account = await session.get(Account, reset.account_id)
    if account is None:
        return None
    account.password_hash = hash_password(new_password)
    await end_sessions(session, account.id)
    await session.flush()
    return account


async def change_password(
    session: AsyncSession, account_id: int, current: str, new_password: str
) -> bool:
    """A new password ends every session of the account (the page opens a new one for itself)."""
    account = await session.get(Account, account_id)
    if account is None or not account.password_hash:
        return False
    if not await _verify(account.password_hash, current):
        return False
    account.password_hash = hash_password(new_password)
    await end_sessions(session, account.id)
    await session.flush()
    return True


async def accounts_with_email(session: AsyncSession, email: str) -> Sequence[Account]:
    """Active accounts that gave this address (compared without case)."""
    address = email.strip().lower()
    if not address:
        return []
    return (
        await session.scalars(
            select(Account)
            .join(Actor, Actor.id == Account.actor_id)
            .where(
                func.lower(Account.email) == address,
                Account.is_suspended.is_(False),
                Account.is_approved.is_(True),
                Actor.is_gone.is_(False),
            )
        )
    ).all()


# ---------------------------------------------------------------------------------------------
# Leaving


async def delete_account(session: AsyncSession, settings: Settings, account: Account) -> Activity:
    """The resident leaves: actor gone, posts and own events tombstoned, account suspended, one
    ``Delete`` sent.

    The ``Delete`` goes to every follower's inbox and to every inbox that ever received one of
    the actor's activities, so servers that only saw a reply or a boost forget them too. The
    private key stays: the delivery workers sign the ``Delete`` with it.
    """
    actor = await session.get(Actor, account.actor_id)
    assert actor is not None
    now = utcnow()
    actor.is_gone = True
    actor.updated_at = now
    account.is_suspended = True
    await end_sessions(session, account.id)
    await session.execute(
        update(Post)
        .where(Post.actor_id == actor.id, Post.deleted_at.is_(None))
        .values(deleted_at=now, content_html="", source=None)
        .execution_options(synchronize_session=False)
    )
    await remove_events_of(session, actor.id)
    await session.execute(delete(ApiToken).where(ApiToken.account_id == account.id))
    await session.execute(delete(PasswordReset).where(PasswordReset.account_id == account.id))
    known_inboxes = (
        await session.scalars(
            select(Delivery.inbox_uri).where(Delivery.sender_id == actor.id).distinct()
        )
    ).all()
    uris = Uris(settings.base_url)
    followers = actor.followers_uri or f"{actor.uri}/followers"
    document = build_activity(uris, "Delete", actor, actor.uri, [PUBLIC], [followers])
    await session.flush()
    return await enqueue_activity(session, actor, document, inboxes=known_inboxes)
