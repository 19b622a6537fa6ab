"""Web sessions kept on the server: opened at login, ended by logging out, by a new password or
by a suspension, wherever the cookie has been copied to.

The cookie carries a random token; the table keeps only its SHA-256 (``WebSession.id``), so
reading the database does not give anyone a working cookie. A session not seen for
``SESSION_IDLE_DAYS`` has ended too.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Executable, Row, String, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, defer

from storage.models import Account, Actor, Notification, WebSession, utcnow

SESSION_IDLE_DAYS = 30
LAST_SEEN_EVERY = timedelta(minutes=5)
"""``last_seen_at`` is written at most this often: not one write per page."""
MAX_USER_AGENT = 255


def session_id(token: str) -> str:
    """The stored id of the session whose cookie carries ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def oldest_alive(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=SESSION_IDLE_DAYS)


async def open_session(session: AsyncSession, account_id: int, user_agent: str = "") -> str:
    """A new session for the account; returns the token for its cookie."""
    token = secrets.token_urlsafe(32)
    await session.execute(
        delete(WebSession).where(
            WebSession.account_id == account_id, WebSession.last_seen_at < oldest_alive()
        )
    )
    session.add(
        WebSession(
            id=session_id(token), account_id=account_id, user_agent=user_agent[:MAX_USER_AGENT]
        )
    )
    await session.flush()
    return token


async def forget_ended_sessions(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete every session unused for ``SESSION_IDLE_DAYS``; returns how many went."""
    result = await session.execute(
        delete(WebSession).where(WebSession.last_seen_at < oldest_alive(now))
    )
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


def needs_touch(web_session: WebSession) -> bool:
    """Whether ``last_seen_at`` is old enough to be written again."""
    return utcnow() - web_session.last_seen_at >= LAST_SEEN_EVERY


async def touch_session(session: AsyncSession, id_: str) -> None:
    """Remember that the session is in use now."""
    await session.execute(
        update(WebSession).where(WebSession.id == id_).values(last_seen_at=utcnow())
    )


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.id == session_id(token)))


async def end_sessions(session: AsyncSession, account_id: int, *, keep: str | None = None) -> None:
    """End every session of the account, but the one whose id is ``keep``."""
    statement = delete(WebSession).where(WebSession.account_id == account_id)
    if keep is not None:
        statement = statement.where(WebSession.id != keep)
    await session.execute(statement)


async def end_other_session(session: AsyncSession, account_id: int, id_: str) -> bool:
    """End one session of the account (from its list in the settings); False if none was."""
    result = await session.execute(
        delete(WebSession).where(WebSession.account_id == account_id, WebSession.id == id_)
    )
    return bool(getattr(result, "rowcount", 0))


async def active_sessions(session: AsyncSession, account_id: int) -> Sequence[WebSession]:
    """The account's sessions still alive, the most recently used first."""
    rows = await session.scalars(
        select(WebSession)
        .where(WebSession.account_id == account_id, WebSession.last_seen_at >= oldest_alive())
        .order_by(WebSession.last_seen_at.desc())
    )
    return rows.all()


_OWNER = (
    select(Account, Actor, WebSession)
    .join(Account, Account.id == WebSession.account_id)
    .join(Actor, Actor.id == Account.actor_id)
    .where(
        WebSession.id == bindparam("session_id", type_=String),
        WebSession.last_seen_at >= bindparam("oldest_alive"),
    )
    .options(
        defer(Actor.document, raiseload=True),
        defer(Actor.public_key_pem, raiseload=True),
        defer(Actor.private_key_pem, raiseload=True),
    )
)
"""Every page asks it: built once, and without the actor's keys and document."""


_UNREAD = (
    select(func.count(Notification.id))
    .where(Notification.recipient_id == Actor.id, Notification.read_at.is_(None))
    .correlate(Actor)
    .scalar_subquery()
)
_OWNER_AND_UNREAD = _OWNER.add_columns(_UNREAD)
"""Every page a resident opens asks it: who they are, and how many notifications wait for them
(for the menu), in one statement."""


class Owner(NamedTuple):
    """Who a session belongs to, and (when asked) how many notifications wait for them."""

    account: Account
    actor: Actor
    web_session: WebSession
    unread: int | None


def _owner_query(id_: str, count_unread: bool) -> tuple[Executable, dict[str, object]]:
    parameters: dict[str, object] = {"session_id": id_, "oldest_alive": oldest_alive()}
    statement: Executable = _OWNER_AND_UNREAD if count_unread else _OWNER
    return statement, parameters


def _owner(row: Row[Any] | None) -> Owner | None:
    if row is None:
        return None
    values = tuple(row)
    unread = int(values[3] or 0) if len(values) > 3 else None
    return Owner(values[0], values[1], values[2], unread)


async def session_owner(
    session: AsyncSession, id_: str, *, count_unread: bool = False
) -> Owner | None:
    """The account and actor of a session still alive, and the session; None when it ended."""
    statement, parameters = _owner_query(id_, count_unread)
    return _owner((await session.execute(statement, parameters)).first())


def session_owner_now(session: Session, id_: str, *, count_unread: bool = False) -> Owner | None:
    """:func:`session_owner` through a synchronous session (``Database.loop_reader``)."""
    statement, parameters = _owner_query(id_, count_unread)
    return _owner(session.execute(statement, parameters).first())
