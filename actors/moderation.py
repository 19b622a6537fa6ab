"""What admins do to accounts: approve or refuse sign-ups, find, suspend and restore them,
give or take roles; the last active admin is always kept."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.web_sessions import end_sessions
from config.errors import Conflict, ErrorCode, Gone, NotFound
from storage.models import (
    Account,
    Actor,
)


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
