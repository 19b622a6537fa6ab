"""Who is looking at a page: the signed session cookie, the logged-in account, flash messages.

A session remembers a keyed digest of the password it was opened with (the cookie is signed, not
encrypted, so never the hash itself): changing or resetting the password ends every other
session, on every device, while the one that changed it goes on.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import defer
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from quartiers.instance import instance_of
from storage.models import Account, Actor

SESSION_COOKIE = "quartiers_session"
SESSION_MAX_AGE = 30 * 24 * 3600
PASSWORD_MARK = "opened_with"  # noqa: S105 (the session key that holds password_mark())


def password_mark(secret_key: str, password_hash: str | None) -> str:
    """What a session keeps of the password it was opened with."""
    digest = hmac.new(secret_key.encode(), (password_hash or "").encode(), "sha256")
    return digest.hexdigest()[:32]


def session_data(secret_key: str, account: Account, csrf: str) -> dict[str, object]:
    """A new session for ``account``."""
    return {
        "account_id": account.id,
        "csrf": csrf,
        PASSWORD_MARK: password_mark(secret_key, account.password_hash),
    }


@dataclass(frozen=True, slots=True)
class Viewer:
    """The logged-in resident: their account and their Person actor."""

    account: Account
    actor: Actor

    @property
    def is_admin(self) -> bool:
        return self.account.is_admin

    @property
    def is_moderator(self) -> bool:
        return self.account.is_admin or self.account.is_moderator


_VIEWER = (
    select(Account, Actor)
    .join(Actor, Actor.id == Account.actor_id)
    .where(Account.id == bindparam("account_id", type_=Integer))
    .options(
        defer(Actor.document, raiseload=True),
        defer(Actor.public_key_pem, raiseload=True),
        defer(Actor.private_key_pem, raiseload=True),
    )
)
"""Every page asks it: built once, and without the actor's keys and document."""


async def current_viewer(request: Request) -> Viewer | None:
    """The viewer of this request, loaded once; None when nobody (or a suspended account) is in."""
    cached: Viewer | bool | None = getattr(request.state, "viewer", False)
    if cached is not False:
        assert cached is None or isinstance(cached, Viewer)
        return cached
    viewer: Viewer | None = None
    account_id = request.session.get("account_id")
    if isinstance(account_id, int):
        async with instance_of(request).database.session() as session:
            row = (await session.execute(_VIEWER, {"account_id": account_id})).first()
        if row is not None:
            account, actor = row
            if (
                not account.is_suspended
                and account.is_approved
                and not actor.is_gone
                and _same_password(request, account)
            ):
                viewer = Viewer(account, actor)
        if viewer is None:
            request.session.pop("account_id", None)
    request.state.viewer = viewer
    return viewer


def _same_password(request: Request, account: Account) -> bool:
    secret_key = instance_of(request).settings.webui.secret_key
    kept = request.session.get(PASSWORD_MARK)
    expected = password_mark(secret_key, account.password_hash)
    return isinstance(kept, str) and hmac.compare_digest(kept, expected)


async def require_viewer(request: Request) -> Viewer:
    viewer = await current_viewer(request)
    if viewer is None:
        raise HTTPException(401, "login required")
    return viewer


async def require_admin(request: Request) -> Viewer:
    viewer = await require_viewer(request)
    if not viewer.is_admin:
        raise HTTPException(403, "admins only")
    return viewer


async def require_moderator(request: Request) -> Viewer:
    viewer = await require_viewer(request)
    if not viewer.is_moderator:
        raise HTTPException(403, "moderators only")
    return viewer


def log_in(request: Request, account: Account) -> None:
    """Start a fresh session (a new CSRF token too, against session fixation)."""
    request.session.clear()
    secret_key = instance_of(request).settings.webui.secret_key
    request.session.update(session_data(secret_key, account, secrets.token_urlsafe(32)))
    request.state.viewer = False  # loaded again on next use


def keep_session_after_password_change(request: Request, account: Account) -> None:
    """The session that changed the password stays open; every other one has ended."""
    secret_key = instance_of(request).settings.webui.secret_key
    request.session[PASSWORD_MARK] = password_mark(secret_key, account.password_hash)


def log_out(request: Request) -> None:
    request.session.clear()


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A message shown once on the next page (after a redirect)."""
    messages = list(request.session.get("flash", []))
    messages.append([kind, message])
    request.session["flash"] = messages[-5:]


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    messages = request.session.pop("flash", [])
    return [(str(kind), str(text)) for kind, text in messages]


class ViewerMiddleware:
    """Loads the viewer before the endpoint runs, so every template can show who is logged in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("session", {}).get("account_id") is not None:
            await current_viewer(Request(scope))
        await self.app(scope, receive, send)
