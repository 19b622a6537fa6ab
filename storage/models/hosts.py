"""What we learn about remote hosts: the signature scheme they take, their health, blocks, and
the blocklists of other servers the admin reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, JSONType, utcnow


class Host(Base):
    __tablename__ = "hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    signature_scheme: Mapped[str | None] = mapped_column(String(16))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column()
    parked_until: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    is_neighbour: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A neighbour's own description of itself (its NodeInfo), for the city's directory.
    origin: Mapped[str | None] = mapped_column(String(300))  # scheme://authority
    quartier_name: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))
    area: Mapped[dict[str, float] | None] = mapped_column(JSONType)
    described_at: Mapped[datetime | None] = mapped_column()
    # The admin's choice: does this quartier's content appear in the city views?
    in_city_views: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


SUSPEND = "suspend"
"""Nothing is received from the domain, nothing is sent to it."""
LIMIT = "limit"
"""Received and delivered, but kept out of the city's shared views and of the notifications of
residents who follow nobody there."""
SEVERITIES = (SUSPEND, LIMIT)

PROPOSED = "proposed"
APPLIED = "applied"
DISMISSED = "dismissed"


class DomainBlock(Base):
    __tablename__ = "domain_blocks"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    severity: Mapped[str] = mapped_column(String(16), default=SUSPEND, server_default=SUSPEND)
    source_url: Mapped[str | None] = mapped_column(String(2048))
    """None: typed by an admin here; else the blocklist it was proposed by."""


class BlocklistSubscription(Base):
    """Another server's published blocklist, read once a day; its entries wait for review."""

    __tablename__ = "blocklist_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    entry_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped_lines: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class BlocklistProposal(Base):
    """One entry of a subscribed blocklist: proposed, then applied or dismissed by an admin (and
    never proposed again by that list)."""

    __tablename__ = "blocklist_proposals"
    __table_args__ = (UniqueConstraint("subscription_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("blocklist_subscriptions.id", ondelete="CASCADE")
    )
    domain: Mapped[str] = mapped_column(String(255), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=PROPOSED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
