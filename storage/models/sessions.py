"""Web sessions: one row per logged-in browser, so that a session can be ended from the server;
and the counts of failed logins, shared by every process of the instance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class WebSession(Base):
    """A browser logged in to an account; the cookie carries a token whose SHA-256 is ``id``.

    Deleting the row ends the session at once, wherever the cookie has been copied to.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(255), default="")


class LoginFailure(Base):
    """Failed logins counted under one key: an address, an account, both, or a known device.

    ``key`` is prefixed by what it counts (``"pair:203.0.113.9 lea"``, ``"address:…"``,
    ``"account:…"``, ``"device:…"``); ``last_failure`` is in seconds since the epoch, the
    clock every process of the instance shares. Rows are forgotten a quiet day after.
    """

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure: Mapped[float] = mapped_column(Float, index=True)
