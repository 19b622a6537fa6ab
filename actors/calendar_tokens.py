"""The secret address of a resident's calendar: given on first use, replaced on request (the
old address then stops working), and found again from the address."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account


def _new_token() -> str:
    return secrets.token_urlsafe(32)


async def calendar_token(session: AsyncSession, account_id: int) -> str:
    """The account's token, given now if it has none yet."""
    account = await session.get(Account, account_id)
    assert account is not None
    if not account.calendar_token:
        account.calendar_token = _new_token()
    return account.calendar_token


async def replace_calendar_token(session: AsyncSession, account_id: int) -> str:
    account = await session.get(Account, account_id)
    assert account is not None
    account.calendar_token = _new_token()
    return account.calendar_token


async def account_of_calendar(session: AsyncSession, token: str) -> Account | None:
    """The account whose calendar lives at ``token`` (None for an empty or unknown token)."""
    if not token:
        return None
    return await session.scalar(select(Account).where(Account.calendar_token == token))
