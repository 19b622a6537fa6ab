"""Events of the neighbourhood agenda (ours and remote ones), and who takes part."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

JOIN_FREE = "free"
JOIN_APPROVAL = "approval"
JOIN_EXTERNAL = "external"
JOIN_MODES = (JOIN_FREE, JOIN_APPROVAL, JOIN_EXTERNAL)
CONFIRMED = "confirmed"
TENTATIVE = "tentative"
CANCELLED = "cancelled"
EVENT_STATUSES = (CONFIRMED, TENTATIVE, CANCELLED)
RSVP_ACCEPTED = "accepted"
RSVP_PENDING = "pending"
RSVP_WAITLIST = "waitlist"
RSVP_REJECTED = "rejected"


class Event(Base):
    """An event; times are stored in UTC with the organiser's time zone beside them.

    A recurring event keeps its rule (RFC 5545 RRULE) and exceptions; its dates are written out
    in ``event_occurrences`` (see :mod:`commons.events.dates`). ``occurrences_until`` is None when
    that table holds all of them, else the moment before which it holds every one.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_start", "start_time"),
        Index("ix_events_actor_start", "actor_id", "start_time"),
        Index("ix_events_local_start", "is_local", "start_time"),
        Index(
            "ix_events_one_off_window",
            "start_time",
            "end_time",
            "deleted_at",
            "is_local",
            "actor_id",
            "category",
            sqlite_where=text("rrule IS NULL"),
            postgresql_where=text("rrule IS NULL"),
        ),
        Index(
            "ix_events_series_start",
            "start_time",
            "deleted_at",
            "is_local",
            "actor_id",
            "category",
            sqlite_where=text("rrule IS NOT NULL"),
            postgresql_where=text("rrule IS NOT NULL"),
        ),
        Index("ix_events_occurrences_until", "occurrences_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(String(500))
    description_source: Mapped[str | None] = mapped_column(Text)
    description_html: Mapped[str] = mapped_column(Text, default="")
    start_time: Mapped[datetime] = mapped_column()
    end_time: Mapped[datetime | None] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Zurich")
    rrule: Mapped[str | None] = mapped_column(String(500))
    exdates: Mapped[dict[str, Any] | None] = mapped_column()
    place_name: Mapped[str | None] = mapped_column(String(255))
    street_address: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    locality: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    online_url: Mapped[str | None] = mapped_column(String(2048))
    category: Mapped[str | None] = mapped_column(String(64))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    image_alt: Mapped[str | None] = mapped_column(String(1500))
    capacity: Mapped[int | None] = mapped_column(Integer)
    join_mode: Mapped[str] = mapped_column(String(16), default=JOIN_FREE)
    external_registration_url: Mapped[str | None] = mapped_column(String(2048))
    comments_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default=CONFIRMED)
    participant_count: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any] | None] = mapped_column()
    published: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()
    occurrences_until: Mapped[datetime | None] = mapped_column()


class EventOccurrence(Base):
    """One date of an event (a one-off event has one): what the agenda reads by window.

    The organiser, origin and category are copied from the event so that a window of the agenda
    is read from one covering index; they are rewritten with the rows on every change. A date
    that lasts more than a day ``is_long``: only those are looked for far before a window.
    """

    __tablename__ = "event_occurrences"
    __table_args__ = (
        Index(
            "ix_event_occurrences_window",
            "start_time",
            "event_id",
            "end_time",
            "is_local",
            "actor_id",
            "category",
        ),
        Index(
            "ix_event_occurrences_long",
            "is_long",
            "start_time",
            "event_id",
            "end_time",
            "is_local",
            "actor_id",
            "category",
        ),
        Index(
            "ix_event_occurrences_category",
            "category",
            "start_time",
            "end_time",
            "is_long",
            "is_local",
            "actor_id",
        ),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    start_time: Mapped[datetime] = mapped_column(primary_key=True)
    end_time: Mapped[datetime | None] = mapped_column()
    is_long: Mapped[bool] = mapped_column(Boolean)
    actor_id: Mapped[int] = mapped_column(Integer)
    is_local: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(64))


class Rsvp(Base):
    """One actor taking part in an event, or in one date of a series.

    ``occurrence`` is the UTC start of that date; None for a one-off event, or for the whole
    series (what a ``Join`` of the series itself means). Once per person and date, and once
    for the whole.
    """

    __tablename__ = "rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "actor_id", "occurrence", name="uq_rsvps_once"),
        Index(
            "uq_rsvps_whole",
            "event_id",
            "actor_id",
            unique=True,
            sqlite_where=text("occurrence IS NULL"),
            postgresql_where=text("occurrence IS NULL"),
        ),
        Index("ix_rsvps_event_state", "event_id", "state"),
        Index("ix_rsvps_event_occurrence", "event_id", "occurrence", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    occurrence: Mapped[datetime | None] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default=RSVP_ACCEPTED)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
