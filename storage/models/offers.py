"""Offers and requests of the neighbourhood's bourses (ours and those other servers send)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

OFFER = "offer"
REQUEST = "request"
PURPOSES = (OFFER, REQUEST)
OPEN = "open"
CLOSED = "closed"
FREE = "free"
EXCHANGE = "exchange"
PRICE = "price"
RECIPROCITIES = (FREE, EXCHANGE, PRICE)


class Offer(Base):
    """An offer or a request of a kind (emploi, logement, troc, prêt, don, service, besoin).

    ``actor_id`` is who publishes it: a resident, or a collective (then ``created_by_id`` is the
    member who wrote it). Quantities are those of FEP-0837's Intent: ``quantity`` of ``unit``
    per agreement, ``available_quantity`` in all (None: not counted). A price is kept in
    centimes of CHF. ``images`` holds ``{"items": [{"url", "alt", "media_type"}]}``.
    """

    __tablename__ = "offers"
    __table_args__ = (
        Index("ix_offers_listing", "deleted_at", "status", "published"),
        Index("ix_offers_actor_published", "actor_id", "published"),
        Index("ix_offers_kind_published", "kind", "published"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str | None] = mapped_column(String(2048))
    purpose: Mapped[str] = mapped_column(String(16), default=OFFER)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(500))
    description_source: Mapped[str | None] = mapped_column(Text)
    description_html: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32), default="one")
    unit_based: Mapped[bool] = mapped_column(Boolean, default=False)
    available_quantity: Mapped[float | None] = mapped_column(Float)
    minimum_quantity: Mapped[float | None] = mapped_column(Float)
    reciprocity: Mapped[str] = mapped_column(String(16), default=FREE)
    exchange_for: Mapped[str | None] = mapped_column(String(500))
    price_centimes: Mapped[int | None] = mapped_column(Integer)
    place_name: Mapped[str | None] = mapped_column(String(255))
    street_address: Mapped[str | None] = mapped_column(String(255))
    locality: Mapped[str | None] = mapped_column(String(255))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_until: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    images: Mapped[dict[str, Any] | None] = mapped_column()
    document: Mapped[dict[str, Any] | None] = mapped_column()
    published: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()
