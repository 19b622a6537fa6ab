"""Offers and requests of the neighbourhood's bourses (ours and those other servers send)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    search_text: Mapped[str | None] = mapped_column(Text, default="")
    """Its words folded (lower case, no accents), as the marketplace's search reads them."""


PENDING = "pending"
ACCEPTED = "accepted"
REJECTED = "rejected"
CANCELLED = "cancelled"
WAITING = "waiting"  # a booking on the waiting list: it holds no slot until one is freed
RESPONSE_STATES = (PENDING, ACCEPTED, REJECTED, CANCELLED, WAITING)


class OfferResponse(Base):
    """Someone's proposal to take up an offer (or to answer a request): FEP-0837's
    ``Offer{Agreement}``, ours or another server's, and its answer.

    ``uri`` is the ``Offer`` activity's id (ours when the responder is one of our residents);
    ``agreement_uri`` the Agreement it proposes. ``post_id`` is the reply it was made from, when
    a Mastodon user answered by a direct reply or the author turned a public reply into one.
    """

    __tablename__ = "offer_responses"
    __table_args__ = (Index("ix_offer_responses_offer_state", "offer_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    responder_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), index=True
    )
    agreement_uri: Mapped[str] = mapped_column(String(2048))
    quantity: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    reason: Mapped[str | None] = mapped_column(Text)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    pickup_code: Mapped[str | None] = mapped_column(String(8))
    picked_up_at: Mapped[datetime | None] = mapped_column()
    returned_at: Mapped[datetime | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()


AVAILABLE = "available"
BROKEN = "broken"
MAY_BOOK_MEMBERS = "members"
MAY_BOOK_RESIDENTS = "residents"
MAY_BOOK_ANYONE = "anyone"
MAY_BOOK = (MAY_BOOK_MEMBERS, MAY_BOOK_RESIDENTS, MAY_BOOK_ANYONE)


class Bookable(Base):
    """What makes an offer of a shared space bookable by time slot — a drill, a cargo bike, the
    meeting room — and its rules (kept for other servers' items too, as they describe them).

    Times are counted in slots of ``slot_minutes`` (a day for things, an hour for rooms) from
    midnight in Geneva; ``opening`` holds ``{"weekdays": [0-6], "from": "HH:MM", "to": "HH:MM",
    "closed": [["YYYY-MM-DD", "YYYY-MM-DD"], …]}``.
    """

    __tablename__ = "bookables"

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    slot_minutes: Mapped[int] = mapped_column(Integer, default=1440)
    max_slots: Mapped[int] = mapped_column(Integer, default=7)
    lead_minutes: Mapped[int] = mapped_column(Integer, default=0)
    ahead_days: Mapped[int] = mapped_column(Integer, default=60)
    monthly_quota: Mapped[int | None] = mapped_column(Integer)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    who_may_book: Mapped[str] = mapped_column(String(16), default=MAY_BOOK_ANYONE)
    opening: Mapped[dict[str, Any] | None] = mapped_column()
    condition: Mapped[str] = mapped_column(String(16), default=AVAILABLE)
    deposit_centimes: Mapped[int | None] = mapped_column(Integer)


class ReservationSlot(Base):
    """One slot an answer holds on a bookable offer: the unique key on (offer, start) is what
    makes a double booking impossible, whichever server the two requests came from."""

    __tablename__ = "reservation_slots"
    __table_args__ = (UniqueConstraint("offer_id", "slot_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    response_id: Mapped[int] = mapped_column(
        ForeignKey("offer_responses.id", ondelete="CASCADE"), index=True
    )
    slot_start: Mapped[datetime] = mapped_column()
