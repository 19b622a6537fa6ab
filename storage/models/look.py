"""The neighbourhood's look: its accent colour and logo, chosen by an admin on the web.

Kept in the database rather than in ``config.toml``: the admin changes it from a page, every
server process sees the change without a restart, and a backup carries it with the content.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class InstanceLook(Base):
    """One row (``id`` 1): no row means the default look."""

    __tablename__ = "instance_looks"

    id: Mapped[int] = mapped_column(primary_key=True)
    accent: Mapped[str] = mapped_column(String(7))
    logo_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
