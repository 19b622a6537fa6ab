"""What collectives pass on to their followers: items of others they announce, ours waiting
for a facilitator's approval, and what remote collectives announced to us."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

SHARE_PENDING = "pending"
SHARE_SHARED = "shared"
SHARE_REFUSED = "refused"
SHARE_STATES = (SHARE_PENDING, SHARE_SHARED, SHARE_REFUSED)
SHARED_KINDS = ("event", "offer", "petition", "post")

# Who shares into a collective without waiting (``Actor.share_approval``).
MEMBERS_WAIT = "members"  # facilitators and admins share at once, members' shares wait
EVERYONE_WAITS = "everyone"  # every share waits for another facilitator
SHARE_APPROVALS = (MEMBERS_WAIT, EVERYONE_WAITS)


class Share(Base):
    """An item (event, offer, petition or post, of any server) a collective announces.

    For one of our collectives: proposed by ``sharer`` (a member) or brought by ``via`` (a
    collective it follows), waiting, shared (``announce_uri`` is its Announce) or refused.
    For a remote collective: an Announce of it we received, kept to show "via" on our pages
    until its ``Undo``.
    """

    __tablename__ = "shares"
    __table_args__ = (
        UniqueConstraint("group_id", "object_uri", name="uq_shares_group_object"),
        Index("ix_shares_group_state", "group_id", "state"),
        Index("ix_shares_object_uri", "object_uri"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    object_uri: Mapped[str] = mapped_column(String(2048))
    object_kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=SHARE_PENDING)
    sharer_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    via_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    announce_uri: Mapped[str | None] = mapped_column(String(2048), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
