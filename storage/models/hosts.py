"""What we learn about remote hosts: the signature scheme they take, their health, blocks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, false, true
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


class DomainBlock(Base):
    __tablename__ = "domain_blocks"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
