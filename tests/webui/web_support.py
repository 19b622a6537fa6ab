"""Helpers for page tests: a logged-in browser session without going through the login form."""

from __future__ import annotations

import json
import secrets
from base64 import b64encode
from dataclasses import dataclass

import httpx2
from itsdangerous import TimestampSigner

from actors.services import create_account
from config.settings import Settings
from storage.database import Database
from storage.models import Account, Actor
from webui.session import SESSION_COOKIE, open_session_data


@dataclass(frozen=True)
class Resident:
    account: Account
    actor: Actor
    csrf: str
    session: dict[str, object]
    """What the session cookie holds (a server-side session is open for it)."""


def session_cookie(settings: Settings, data: dict[str, object]) -> str:
    """The cookie Starlette's SessionMiddleware would set for ``data``."""
    payload = b64encode(json.dumps(data).encode())
    return TimestampSigner(settings.webui.secret_key).sign(payload).decode()


async def resident(
    database: Database,
    settings: Settings,
    username: str,
    *,
    admin: bool = False,
    password: str = "correct horse battery",
) -> tuple[Account, Actor]:
    async with database.transaction() as session:
        account = await create_account(session, settings, username, password, is_admin=admin)
        actor = await session.get(Actor, account.actor_id)
        assert actor is not None
    return account, actor


async def log_in_as(
    client: httpx2.AsyncClient,
    settings: Settings,
    database: Database,
    username: str,
    *,
    admin: bool = False,
) -> Resident:
    """Create ``username`` and give ``client`` a session for it; returns its CSRF token too."""
    account, actor = await resident(database, settings, username, admin=admin)
    csrf = secrets.token_urlsafe(16)
    data = await open_session_data(database, account, csrf=csrf)
    client.cookies.set(SESSION_COOKIE, session_cookie(settings, data))
    return Resident(account, actor, csrf, data)
