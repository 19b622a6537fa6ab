"""Who is looking at a page: the signed session cookie, the logged-in account, flash messages.

The cookie (signed by Starlette's SessionMiddleware) carries a random token naming a row of
``web_sessions`` (see :mod:`actors.web_sessions`): deleting the row ends the session, even in a
copy of the cookie. Logging out, a new password and a suspension delete rows.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from actors import web_sessions
from instance.runtime import instance_of

if TYPE_CHECKING:
    from actors.web_sessions import Owner
    from storage.database import Database
    from storage.models import Account, Actor

SESSION_COOKIE = "quartiers_session"
SESSION_MAX_AGE = web_sessions.SESSION_IDLE_DAYS * 24 * 3600
SESSION_TOKEN = "session"  # noqa: S105 (the cookie key that holds the session's token)


async def open_session_data(
    database: Database, account: Account, *, csrf: str | None = None, user_agent: str = ""
) -> dict[str, object]:
    """A new server-side session for ``account``; returns what its cookie holds."""
    async with database.transaction() as session:
        token = await web_sessions.open_session(session, account.id, user_agent)
    return {SESSION_TOKEN: token, "csrf": csrf or secrets.token_urlsafe(32)}


@dataclass(frozen=True, slots=True)
class Viewer:
    """The logged-in resident: their account and their Person actor."""

    account: Account
    actor: Actor
    session_id: str = ""

    @property
    def is_admin(self) -> bool:
        return self.account.is_admin

    @property
    def is_moderator(self) -> bool:
        return self.account.is_admin or self.account.is_moderator


async def current_viewer(request: Request, *, count_unread: bool = False) -> Viewer | None:
    """The viewer of this request, loaded once; None when nobody (or a suspended account) is in.

    ``count_unread`` also counts their unread notifications for the menu, through the same
    connection (``request.state.unread_count``)."""
    cached: Viewer | bool | None = getattr(request.state, "viewer", False)
    if cached is not False:
        assert cached is None or isinstance(cached, Viewer)
        return cached
    viewer: Viewer | None = None
    token = request.session.get(SESSION_TOKEN)
    if isinstance(token, str):
        viewer = await _load_viewer(request, web_sessions.session_id(token), count_unread)
        if viewer is None:
            request.session.pop(SESSION_TOKEN, None)
    request.state.viewer = viewer
    return viewer


async def _owner(database: Database, session_id: str, count_unread: bool) -> Owner | None:
    if database.loop_reader is not None:  # SQLite: no round trip to a driver thread
        with database.loop_reader() as session:
            return web_sessions.session_owner_now(session, session_id, count_unread=count_unread)
    async with database.session() as session:
        return await web_sessions.session_owner(session, session_id, count_unread=count_unread)


async def _load_viewer(request: Request, session_id: str, count_unread: bool) -> Viewer | None:
    database = instance_of(request).database
    owner = await _owner(database, session_id, count_unread)
    if owner is None:
        return None
    account, actor, web_session, unread = owner
    if unread is not None:
        request.state.unread_count = unread
    if account.is_suspended or not account.is_approved or actor.is_gone:
        return None
    if web_sessions.needs_touch(web_session):
        async with database.transaction(changes_pages=False) as session:
            await web_sessions.touch_session(session, web_session.id)
    return Viewer(account, actor, session_id)


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


async def log_in(request: Request, account: Account) -> None:
    """Open a new session (a new CSRF token too, against session fixation)."""
    await end_this_session(request)
    request.session.clear()
    user_agent = request.headers.get("user-agent", "")
    data = await open_session_data(instance_of(request).database, account, user_agent=user_agent)
    request.session.update(data)
    request.state.viewer = False  # loaded again on next use


async def end_this_session(request: Request) -> None:
    """End the session of this cookie on the server (any copy of it stops working)."""
    token = request.session.get(SESSION_TOKEN)
    if isinstance(token, str):
        async with instance_of(request).database.transaction() as session:
            await web_sessions.end_session(session, token)


async def log_out(request: Request) -> None:
    await end_this_session(request)
    request.session.clear()
    request.state.viewer = None


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A message shown once on the next page (after a redirect)."""
    messages = list(request.session.get("flash", []))
    messages.append([kind, message])
    request.session["flash"] = messages[-5:]


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    messages = request.session.pop("flash", [])
    return [(str(kind), str(text)) for kind, text in messages]


UNCOUNTED_PREFIXES = ("/static/", "/media/", "/inbox", "/.well-known/", "/nodeinfo")
"""Addresses no page is built for: their requests do not count unread notifications."""


class ViewerMiddleware:
    """Loads the viewer before the endpoint runs, so every template can show who is logged in,
    and, for a page (a GET), how many notifications they have not read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("session", {}).get(SESSION_TOKEN) is not None:
            page = scope["method"] == "GET" and not scope["path"].startswith(UNCOUNTED_PREFIXES)
            await current_viewer(Request(scope), count_unread=page)
        await self.app(scope, receive, send)
