"""Petitions and initiatives of collectives (ours and those other servers send), their promoter
committees and their signatures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

DRAFT = "draft"
COLLECTING = "collecting"
CLOSED = "closed"
SUBMITTED = "submitted"
ANSWERED = "answered"
PETITION_STATES = (DRAFT, COLLECTING, CLOSED, SUBMITTED, ANSWERED)

ANYONE = "anyone"
RESIDENTS = "residents"
MEMBERS = "members"
WHO_MAY_SIGN = (ANYONE, RESIDENTS, MEMBERS)

HERE = "here"
"""A resident of this server signed here."""
FEDERATED = "federated"
"""A resident of another server of the city signed from there."""
MASTODON = "mastodon"
"""Someone elsewhere on the fediverse voted in the poll."""
PAPER = "paper"
WAYS = (HERE, FEDERATED, MASTODON, PAPER)


class Petition(Base):
    """A petition or an initiative: a ``Question`` with one option, attributed to its collective.

    With ``may_sign`` = residents, only accounts of the servers of ``scope_domains`` may sign. ``signature_count`` is the tally (kept
    with each signature); ``sent_count`` the tally the followers and signers last received, so
    ``Update(Question)`` goes out in batches. ``notices_sent`` is the last progress notice
    (25, 50, 75, 100 %).
    """

    __tablename__ = "petitions"
    __table_args__ = (
        Index("ix_petitions_listing", "deleted_at", "status", "published"),
        Index("ix_petitions_actor_published", "actor_id", "published"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str | None] = mapped_column(String(2048))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    is_initiative: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(300))
    text_source: Mapped[str | None] = mapped_column(Text)
    text_html: Mapped[str] = mapped_column(Text, default="")
    addressee: Mapped[str] = mapped_column(String(300), default="")
    goal: Mapped[int] = mapped_column(Integer, default=0)
    deadline: Mapped[datetime] = mapped_column()
    scope_domains: Mapped[str] = mapped_column(Text, default="")
    """The quartiers it speaks for, their servers' domains separated by spaces; empty: the city."""
    may_sign: Mapped[str] = mapped_column(String(16), default=ANYONE)
    names_public: Mapped[bool] = mapped_column(Boolean, default=False)
    option_name: Mapped[str] = mapped_column(String(100), default="Je signe")
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    signature_count: Mapped[int] = mapped_column(Integer, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    notices_sent: Mapped[int] = mapped_column(Integer, default=0)
    answer_html: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    document: Mapped[dict[str, Any] | None] = mapped_column()
    published: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()


class PromoterMember(Base):
    """A member of a petition's promoter committee; it opens once every one has confirmed."""

    __tablename__ = "petition_promoters"

    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    confirmed_at: Mapped[datetime | None] = mapped_column()


class Signature(Base):
    """One signature: one per signer (``signer_uri``, the actor's id; a paper signature's is
    ``paper:`` and the hash of its name and address), kept when withdrawn (``withdrawn_at``).

    ``vote_uri`` is the id of the ``Create{Note}`` that carried it. ``proof`` holds the vote with
    its integrity proof when the signer's server made one; ``verification`` what the HTTP
    signature check of a remote vote established (key, algorithm, when). A paper signature keeps
    its sheet number, and its name only where the petition shows names.
    """

    __tablename__ = "petition_signatures"
    __table_args__ = (
        UniqueConstraint("petition_id", "signer_uri"),
        Index("ix_petition_signatures_petition_signed", "petition_id", "signed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    signer_uri: Mapped[str] = mapped_column(String(2048))
    vote_uri: Mapped[str | None] = mapped_column(String(2048))
    way: Mapped[str] = mapped_column(String(16))
    quartier: Mapped[str] = mapped_column(String(255), default="")
    name: Mapped[str | None] = mapped_column(String(255))
    sheet: Mapped[str | None] = mapped_column(String(32))
    name_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    proof: Mapped[dict[str, Any] | None] = mapped_column()
    verification: Mapped[dict[str, Any] | None] = mapped_column()
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column()
