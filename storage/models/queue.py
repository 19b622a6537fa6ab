"""The durable queues: what arrived in the inbox, and each delivery to a remote inbox."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

QUEUED = "queued"
DONE = "done"
FAILED = "failed"
DELIVERED = "delivered"
GAVE_UP = "gave_up"


def origin_of(uri: str) -> str:
    """``scheme://host[:port]`` of ``uri``: the server an activity came from."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}".lower()[:255]


def _origin_of_actor(context: DefaultExecutionContext) -> str:
    parameters: dict[str, object] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return origin_of(str(parameters.get("actor_uri") or ""))


class InboxItem(Base):
    """An activity as received and verified, waiting for (or past) its handler."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        Index("ix_inbox_items_state_due", "state", "next_attempt_at", "id"),
        # The items in a worker's hands: a claim passes over their senders' other items.
        Index(
            "ix_inbox_items_leased",
            "locked_until",
            sqlite_where=text("locked_until IS NOT NULL"),
            postgresql_where=text("locked_until IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_uri: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_uri: Mapped[str] = mapped_column(String(2048))
    origin: Mapped[str] = mapped_column(String(255), default=_origin_of_actor)
    activity_type: Mapped[str] = mapped_column(String(64))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    locked_by: Mapped[str | None] = mapped_column(String(64))
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()


class Delivery(Base):
    """One activity to one inbox: claimed by a worker under a lease, retried by policy.

    ``host`` is the inbox's authority (host and port): two servers on one host name are two
    hosts for concurrency, parking and the health page. ``claim_token`` names the claim that
    holds the row; only that claim may record an outcome (see ``storage.claims``).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("activity_id", "inbox_uri", name="uq_deliveries_activity_inbox"),
        Index("ix_deliveries_state_due", "state", "next_attempt_at", "id"),
        Index("ix_deliveries_host_state", "host", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    inbox_uri: Mapped[str] = mapped_column(String(2048))
    host: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    locked_by: Mapped[str | None] = mapped_column(String(64))
    claim_token: Mapped[str | None] = mapped_column(String(32))
    first_attempt_at: Mapped[datetime | None] = mapped_column()
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
