"""Proposals members make to their collective (an assembly), the support they gather, and the
answer the collective gives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

OPEN = "open"
EVALUATING = "evaluating"
ACCEPTED = "accepted"
REJECTED = "rejected"
PROPOSAL_STATES = (OPEN, EVALUATING, ACCEPTED, REJECTED)
ANSWERS = (EVALUATING, ACCEPTED, REJECTED)


class Proposal(Base):
    """A member's proposal to a collective: on the wire a ``Note`` of the collective (so replies
    and favourites reach it) naming who proposed it. ``support_count`` is kept with each support;
    ``answer_html`` is the collective's answer, given with a status."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_listing", "deleted_at", "actor_id", "published"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    is_local: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str] = mapped_column(String(300))
    text_source: Mapped[str] = mapped_column(Text, default="")
    text_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    support_count: Mapped[int] = mapped_column(Integer, default=0)
    answer_source: Mapped[str | None] = mapped_column(Text)
    answer_html: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column()
    published: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()


class ProposalSupport(Base):
    """One person's support of a proposal, once per person: a resident here, or anyone elsewhere
    whose ``Like`` (a favourite on Mastodon) names it; ``like_uri`` is that Like's id, so its
    ``Undo`` takes the support back."""

    __tablename__ = "proposal_supports"
    __table_args__ = (UniqueConstraint("proposal_id", "supporter_uri"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    supporter_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    supporter_uri: Mapped[str] = mapped_column(String(2048))
    like_uri: Mapped[str | None] = mapped_column(String(2048), index=True)
    supported_at: Mapped[datetime] = mapped_column(default=utcnow)
