"""Actors (local and remote, residents, collectives, the instance), accounts and membership."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

PERSON = "Person"
GROUP = "Group"
APPLICATION = "Application"
GROUP_KINDS = ("project", "space", "assembly")
MEMBER_ROLES = ("admin", "facilitator", "member")
JOIN_MODES = ("open", "approval", "invitation")
MEMBERSHIP_PENDING = "pending"
MEMBERSHIP_INVITED = "invited"
MEMBERSHIP_ACCEPTED = "accepted"


class Actor(Base):
    """Any ActivityPub actor we know: ours (``is_local``, with a private key) or a cached remote."""

    __tablename__ = "actors"
    __table_args__ = (
        UniqueConstraint("username", "domain", name="uq_actors_username_domain"),
        Index("ix_actors_domain", "domain"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    username: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str] = mapped_column(String(255))
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2048))
    icon_url: Mapped[str | None] = mapped_column(String(2048))
    inbox_uri: Mapped[str] = mapped_column(String(2048))
    shared_inbox_uri: Mapped[str | None] = mapped_column(String(2048))
    outbox_uri: Mapped[str | None] = mapped_column(String(2048))
    followers_uri: Mapped[str | None] = mapped_column(String(2048))
    following_uri: Mapped[str | None] = mapped_column(String(2048))
    public_key_id: Mapped[str] = mapped_column(String(2048), index=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    private_key_pem: Mapped[str | None] = mapped_column(Text)
    assertion_key: Mapped[str | None] = mapped_column(String(128))
    """Its Ed25519 Multikey (``publicKeyMultibase``), listed under ``assertionMethod``: what
    verifies the integrity proofs of its petition signatures."""
    assertion_private_pem: Mapped[str | None] = mapped_column(Text)
    group_kind: Mapped[str | None] = mapped_column(String(16))
    manually_approves_followers: Mapped[bool] = mapped_column(Boolean, default=False)
    is_gone: Mapped[bool] = mapped_column(Boolean, default=False)
    summary_source: Mapped[str | None] = mapped_column(Text)
    icon_alt: Mapped[str | None] = mapped_column(String(1000))
    header_url: Mapped[str | None] = mapped_column(String(2048))
    header_alt: Mapped[str | None] = mapped_column(String(1000))
    join_mode: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    members_only_posting: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    share_approval: Mapped[str] = mapped_column(
        String(16), default="members", server_default="members"
    )
    """Whose shares into this collective wait for a facilitator (:mod:`storage.models.shares`)."""
    shares_followed_directly: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    """What the collectives it follows publish is shared at once, not proposed for approval."""
    place_name: Mapped[str | None] = mapped_column(String(255))
    street_address: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    locality: Mapped[str | None] = mapped_column(String(255))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    opening_hours: Mapped[str | None] = mapped_column(Text)
    document: Mapped[dict[str, Any] | None] = mapped_column()
    fetched_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def handle(self) -> str:
        return f"{self.username}@{self.domain}"

    @property
    def is_group(self) -> bool:
        return self.type == GROUP

    @property
    def delivery_inbox(self) -> str:
        return self.shared_inbox_uri or self.inbox_uri


class Account(Base):
    """A resident who can log in: the local Person actor plus credentials and roles."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_moderator: Mapped[bool] = mapped_column(Boolean, default=False)
    is_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    is_approved: Mapped[bool] = mapped_column(Boolean, default=True)
    signup_reason: Mapped[str | None] = mapped_column(Text)
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token for the client-to-server API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()


class Membership(Base):
    """A resident (local or remote) in a local collective, with a role."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("group_id", "member_id", name="uq_memberships_group_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    state: Mapped[str] = mapped_column(String(16), default="accepted", server_default="accepted")
    uri: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
