"""A resident's preferences: the language of the site and the address mail goes to."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account


async def save_preferences(
    session: AsyncSession, account_id: int, *, language: str, email: str | None
) -> None:
    """Keep the language; the e-mail address too unless ``email`` is None (no mail set up)."""
    account = await session.get(Account, account_id)
    assert account is not None
    account.language = language
    if email is not None:
        account.email = email or None
