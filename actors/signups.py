"""Signing up from a form: :func:`actors.accounts.sign_up` in a transaction of its own, so that
two people racing for one name end the same way as one coming second (``NameTaken``)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from actors.accounts import sign_up
from actors.errors import NameTaken
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
    """The new account, committed. Raises what ``sign_up`` raises (see :mod:`config.errors`)."""
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
        raise NameTaken(username) from None
