"""What a quartier has read of a federated neighbour's past: one row per neighbour."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

# ``state`` takes the queue's words: QUEUED (pages left to read), DONE, FAILED.


class Backfill(Base):
    """The reading of a neighbour quartier's recent public activities (its instance actor's
    outbox), page after page, resumed where it stopped after a restart.

    ``next_page_uri`` is the page to read next (None: the outbox itself); ``items_done`` the
    activities handed to the inbox queue, ``items_skipped`` those refused as not authentic.
    What is read is bounded from ``started_at`` by the settings (days back, items). ``failure`` is a word (``status``, ``timeout``,
    ``unreachable``, ``invalid``, ``too_large``) and ``last_error`` its detail.
    """

    __tablename__ = "backfills"
    __table_args__ = (Index("ix_backfills_state_due", "state", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbour_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(16))
    next_page_uri: Mapped[str | None] = mapped_column(String(2048))
    items_done: Mapped[int] = mapped_column(Integer, default=0)
    items_skipped: Mapped[int] = mapped_column(Integer, default=0)
    pages_read: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(String(32))
    failure: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
