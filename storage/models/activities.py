"""Activities we emitted: the outbox, and what makes every activity id dereferenceable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_actor_published", "actor_id", "published"),
        Index("ix_activities_object_uri", "object_uri"),
        # The quartier's outbox (what federated quartiers read when they join), newest first.
        Index(
            "ix_activities_quartier_outbox",
            "id",
            sqlite_where=text("in_quartier_outbox"),
            postgresql_where=text("in_quartier_outbox"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    object_uri: Mapped[str | None] = mapped_column(String(2048))
    is_public: Mapped[bool] = mapped_column(default=True)
    # Listed in the quartier's outbox (see outbox.quartier_outbox): a public activity of one
    # of our collectives, relayed to the federated quartiers, and not superseded since.
    in_quartier_outbox: Mapped[bool] = mapped_column(default=False, server_default=false())
    payload: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime] = mapped_column(default=utcnow)
