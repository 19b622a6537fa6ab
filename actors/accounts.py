"""Residents' accounts: sign-up, log-in, passwords, profile, deletion, and what admins do to them."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Literal

import anyio.to_thread
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from actors.documents import build_actor
from actors.invitations import use_invitation
from actors.passwords import hash_password, verify_password
from actors.services import create_account, find_account
from actors.web_sessions import end_sessions
from commons.events.dates import remove_events_of
from commons.markdown import render_markdown
from commons.media import MediaError, media_path, store_image
from config.errors import Conflict, ErrorCode, Gone, NotAllowed, NotFound
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
    Media,
    PasswordReset,
    Post,
    utcnow,
)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
RESET_VALID_FOR = timedelta(hours=24)
MAX_DISPLAY_NAME = 100
MAX_BIO = 5000
MAX_SIGNUP_REASON = 2000

Outcome = Literal["ok", "wrong", "suspended", "pending"]
ImageSlot = Literal["avatar", "header"]


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
# Profile


@dataclass(frozen=True, slots=True)
class ImageChange:
    """What the form says about one image: a new file, a new description, or removal."""

    data: bytes | None = None
    alt: str = ""
    remove: bool = False


@dataclass(frozen=True, slots=True)
class ProfileChange:
    name: str
    bio: str
    manually_approves_followers: bool
    avatar: ImageChange = ImageChange()
    header: ImageChange = ImageChange()


async def update_profile(
    session: AsyncSession, settings: Settings, actor: Actor, change: ProfileChange
) -> Activity:
    """Apply the change and queue an ``Update`` of the actor to its followers.

    Raises ProfileImageError (a MediaError code, for the avatar or the header).
    """
    actor.name = change.name.strip()[:MAX_DISPLAY_NAME] or actor.username
    actor.summary_source = change.bio
    actor.summary = render_markdown(change.bio) if change.bio.strip() else ""
    actor.manually_approves_followers = change.manually_approves_followers
    await _apply_image(session, settings, actor, "avatar", change.avatar)
    await _apply_image(session, settings, actor, "header", change.header)
    actor.updated_at = utcnow()
    await session.flush()
    return await enqueue_actor_update(session, settings, actor)


async def _apply_image(
    session: AsyncSession, settings: Settings, actor: Actor, slot: ImageSlot, image: ImageChange
) -> None:
    url_field, alt_field = (
        ("icon_url", "icon_alt") if slot == "avatar" else ("header_url", "header_alt")
    )
    previous: str | None = getattr(actor, url_field)
    if image.remove:
        setattr(actor, url_field, None)
        setattr(actor, alt_field, None)
        await _forget_image(session, settings, actor, previous)
        return
    if image.data:
        try:
            media = await store_image(session, actor, image.data, image.alt)
        except MediaError as error:
            about_alt = error.code in (ErrorCode.MISSING_ALT, ErrorCode.ALT_TOO_LONG)
            raise MediaError(error.code, f"{slot}_alt" if about_alt else slot) from None
        setattr(actor, url_field, settings.base_url + media_path(media))
        setattr(actor, alt_field, media.alt_text)
        await _forget_image(session, settings, actor, previous)
    elif getattr(actor, url_field):
        alt = image.alt.strip()
        if not alt:
            raise MediaError(ErrorCode.MISSING_ALT, f"{slot}_alt")
        setattr(actor, alt_field, alt[:1000])


async def _forget_image(
    session: AsyncSession, settings: Settings, actor: Actor, url: str | None
) -> None:
    """Delete a replaced or removed profile image of ours (not one a post still shows)."""
    prefix = f"{settings.base_url}/media/"
    if not url or not url.startswith(prefix):
        return
    key = url[len(prefix) :].rpartition(".")[0]
    await session.execute(
        delete(Media).where(Media.key == key, Media.owner_id == actor.id, Media.post_id.is_(None))
    )


async def enqueue_actor_update(session: AsyncSession, settings: Settings, actor: Actor) -> Activity:
    uris = Uris(settings.base_url)
    document = build_actor(actor, settings)
    followers = actor.followers_uri or f"{actor.uri}/followers"
    activity = build_activity(uris, "Update", actor, document, [PUBLIC], [followers])
    return await enqueue_activity(session, actor, activity)


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


# ---------------------------------------------------------------------------------------------
# Administration


async def pending_accounts(session: AsyncSession) -> Sequence[tuple[Account, Actor]]:
    rows = await session.execute(
        select(Account, Actor)
        .join(Actor, Actor.id == Account.actor_id)
        .where(Account.is_approved.is_(False), Actor.is_gone.is_(False))
        .order_by(Account.created_at)
    )
    return [(account, actor) for account, actor in rows]


async def approve_account(session: AsyncSession, account_id: int) -> Account | None:
    account = await session.get(Account, account_id)
    if account is None or account.is_approved:
        return None
    account.is_approved = True
    await session.flush()
    return account


async def refuse_account(session: AsyncSession, account_id: int) -> str | None:
    """Delete a sign-up request that was never approved (nothing of it has federated)."""
    account = await session.get(Account, account_id)
    if account is None or account.is_approved:
        return None
    username = account.username
    actor_id = account.actor_id
    await session.delete(account)
    await session.flush()
    await session.execute(delete(Actor).where(Actor.id == actor_id))
    return username


async def search_accounts(
    session: AsyncSession, query: str = "", limit: int = 50
) -> Sequence[tuple[Account, Actor]]:
    statement = (
        select(Account, Actor)
        .join(Actor, Actor.id == Account.actor_id)
        .where(Account.is_approved.is_(True))
        .order_by(Account.username)
        .limit(limit)
    )
    text = query.strip().lstrip("@").lower()[:100]
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                Account.username.like(pattern, escape="\\"),
                func.lower(Actor.name).like(pattern, escape="\\"),
            )
        )
    return [(account, actor) for account, actor in await session.execute(statement)]


async def _active_admin_ids(session: AsyncSession) -> set[int]:
    """Locked on PostgreSQL, so two admins demoting each other cannot both pass the guard."""
    rows = await session.scalars(
        select(Account.id)
        .where(
            Account.is_admin.is_(True),
            Account.is_suspended.is_(False),
            Account.is_approved.is_(True),
        )
        .with_for_update()
    )
    return set(rows.all())


async def is_last_admin(session: AsyncSession, account_id: int) -> bool:
    return await _active_admin_ids(session) == {account_id}


async def set_suspended(session: AsyncSession, account_id: int, suspended: bool) -> Account:
    """Raises NotFound ``unknown_account``, Conflict ``last_admin`` (nobody would be left to
    admin) or Gone ``account_gone`` (deleted by its owner, it cannot be restored)."""
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound(ErrorCode.UNKNOWN_ACCOUNT)
    if suspended and await is_last_admin(session, account.id):
        raise Conflict(ErrorCode.LAST_ADMIN)
    actor = await session.get(Actor, account.actor_id)
    if not suspended and actor is not None and actor.is_gone:
        raise Gone(ErrorCode.ACCOUNT_GONE)
    account.is_suspended = suspended
    if suspended:
        await end_sessions(session, account.id)
    await session.flush()
    return account


async def set_roles(
    session: AsyncSession, account_id: int, *, is_admin: bool, is_moderator: bool
) -> Account:
    """Raises NotFound ``unknown_account`` or Conflict ``last_admin``."""
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound(ErrorCode.UNKNOWN_ACCOUNT)
    if not is_admin and await is_last_admin(session, account.id):
        raise Conflict(ErrorCode.LAST_ADMIN)
    account.is_admin = is_admin
    account.is_moderator = is_moderator
    await session.flush()
    return account
