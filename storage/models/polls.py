"""Polls of collectives (an assembly's decisions; ours and those other quartiers send), their
options and the votes cast."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

OPEN = "open"
CLOSED = "closed"
POLL_STATES = (OPEN, CLOSED)


class Poll(Base):
    """A poll: a ``Question`` with its options in ``oneOf`` (one choice) or ``anyOf`` (several),
    attributed to its collective.

    ``voters_count`` is the number of people who voted; each option keeps its own tally.
    ``changes`` grows with every vote and ``sent_changes`` is its value when the followers and
    voters last received the tally, so ``Update(Question)`` goes out in batches. With
    ``results_hidden`` the options' tallies are shown (and sent) only once it has closed.
    """

    __tablename__ = "polls"
    __table_args__ = (
        Index("ix_polls_listing", "deleted_at", "status", "published"),
        Index("ix_polls_actor_published", "actor_id", "published"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str | None] = mapped_column(String(2048))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    question: Mapped[str] = mapped_column(String(300))
    text_source: Mapped[str | None] = mapped_column(Text)
    text_html: Mapped[str] = mapped_column(Text, default="")
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    results_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    may_vote: Mapped[str] = mapped_column(String(16), default="anyone")
    deadline: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    voters_count: Mapped[int] = mapped_column(Integer, default=0)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    sent_changes: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column()
    document: Mapped[dict[str, Any] | None] = mapped_column()
    published: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()


class PollOption(Base):
    """One answer a poll offers, in its place (``position``, from 0), with its tally."""

    __tablename__ = "poll_options"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    votes_count: Mapped[int] = mapped_column(Integer, default=0)


class PollVote(Base):
    """One voter's choice of one option (a poll of several choices has one row per option
    chosen): unique per poll, voter and option. ``vote_uri`` is the id of the
    ``Create{Note{name}}`` that carried it. Our residents' votes on another quartier's poll are
    kept here too, so their pages say what they chose."""

    __tablename__ = "poll_votes"
    __table_args__ = (
        UniqueConstraint("poll_id", "voter_uri", "position"),
        Index("ix_poll_votes_voter", "voter_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    voter_uri: Mapped[str] = mapped_column(String(2048))
    vote_uri: Mapped[str | None] = mapped_column(String(2048))
    voted_at: Mapped[datetime] = mapped_column(default=utcnow)
