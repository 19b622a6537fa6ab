"""Inserts that skip rows already present, on both databases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


async def insert_ignoring_duplicates(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    unique_columns: Sequence[str],
) -> int:
    """Insert ``rows``; those clashing on ``unique_columns`` are skipped. Returns rows inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(model).values(list(rows)).on_conflict_do_nothing(index_elements=list(unique_columns))
    )
    result = await session.execute(statement)
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
