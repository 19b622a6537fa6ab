"""Posts (notes and comments), with likes and boosts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

PUBLIC = "public"
FOLLOWERS = "followers"
MENTIONED = "mentioned"
LIKE = "like"
"""``reactions.kind`` of a Like."""
ANNOUNCE = "announce"
"""``reactions.kind`` of an Announce (a boost)."""


class Post(Base):
    """A Note-like object, ours or remote; a deleted one keeps its row as a tombstone."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_actor_published", "actor_id", "published"),
        Index("ix_posts_local_published", "is_local", "published"),
        Index("ix_posts_in_reply_to", "in_reply_to_uri"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    type: Mapped[str] = mapped_column(String(32), default="Note")
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    audience_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str | None] = mapped_column(String(2048))
    source: Mapped[str | None] = mapped_column(Text)
    content_html: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str | None] = mapped_column(Text)
    """The title of one of ours (an Article's, a Page's, a Note's); a remote one has it in its
    content."""
    summary: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    visibility: Mapped[str] = mapped_column(String(16), default=PUBLIC)
    is_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    in_reply_to_uri: Mapped[str | None] = mapped_column(String(2048))
    document: Mapped[dict[str, Any] | None] = mapped_column()
    published: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()


class Reaction(Base):
    """A Like or an Announce (boost) of a post by an actor."""

    __tablename__ = "reactions"
    __table_args__ = (UniqueConstraint("kind", "actor_id", "post_id", name="uq_reactions_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostRecipient(Base):
    """An actor a post names in its ``to``, ``cc``, ``bto`` or ``bcc``: one who may read it."""

    __tablename__ = "post_recipients"
    __table_args__ = (Index("ix_post_recipients_actor", "actor_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
