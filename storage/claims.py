"""Claiming due queue rows under a lease: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL.

A claimed row carries ``locked_until``; a worker that dies leaves it to be claimed again once the
lease has expired, so a crash loses nothing. On SQLite the single writing connection makes the
claim atomic by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, InboxItem
from storage.models.queue import QUEUED

QueueModel = type[Delivery] | type[InboxItem]


async def claim_due(
    session: AsyncSession,
    model: QueueModel,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    extra: list[ColumnElement[bool]] | None = None,
    worker_id: str | None = None,
) -> list[int]:
    """Lock up to ``limit`` due rows of ``model`` for ``lease``; returns their ids."""
    due = (
        select(model.id)
        .where(
            model.state == QUEUED,
            model.next_attempt_at <= now,
            or_(model.locked_until.is_(None), model.locked_until < now),
            *(extra or []),
        )
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.scalars(due)).all())
    if ids:
        values: dict[str, Any] = {"locked_until": now + lease}
        if worker_id is not None and model is Delivery:
            values["locked_by"] = worker_id
        await session.execute(update(model).where(model.id.in_(ids)).values(**values))
    return ids
