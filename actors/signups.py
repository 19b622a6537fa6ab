"""Signing up from a form: :func:`actors.accounts.sign_up` in a transaction of its own, so that
two people racing for one name end the same way as one coming second (``name_taken``)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from actors.accounts import AccountError, sign_up
from config.settings import Settings
from storage.database import Database
from storage.models import Account


async def register(
    database: Database,
    settings: Settings,
    *,
    username: str,
    password: str,
    reason: str = "",
    invite_code: str = "",
    email: str = "",
    language: str = "fr",
) -> Account:
    """The new account, committed. Raises AccountError (see ``sign_up``)."""
    try:
        async with database.transaction() as session:
            return await sign_up(
                session,
                settings,
                username=username,
                password=password,
                reason=reason,
                invite_code=invite_code,
                email=email,
                language=language,
            )
    except IntegrityError:
        raise AccountError("name_taken") from None
