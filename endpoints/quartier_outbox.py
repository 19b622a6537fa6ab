"""Our quartier's outbox (the instance actor's): the public activities of our collectives,
newest first, which a quartier reads when it federates with ours to see their recent past.

What it lists is kept when each activity is written (:mod:`outbox.quartier_outbox`). Pages are
keyed by activity id (``?before=<id>``), not by offset: a page read while our collectives
publish is the same page read again, and each page is one walk of a partial index, as cheap at
the 200th page as at the first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from endpoints.outbox import outbox_item
from federation.vocab import AS_NAMESPACE
from storage.integers import parse_row_id
from storage.models import Activity

PAGE_SIZE = 50


class InvalidCursor(ValueError):
    """``before`` is not an activity id."""


def parse_cursor(raw: str | None) -> int | None:
    if raw is None:
        return None
    cursor = parse_row_id(raw)
    if cursor is None:
        raise InvalidCursor(raw)
    return cursor


async def load_quartier_outbox(
    session: AsyncSession, outbox_uri: str, *, page: int | None, before: int | None
) -> dict[str, Any]:
    """The collection (``page`` and ``before`` None), its first page, or the page of the
    activities older than ``before``; ``?page=N`` past the first reads by offset, for clients
    that count pages."""
    if page is None and before is None:
        total = await session.scalar(
            select(func.count()).select_from(Activity).where(Activity.in_quartier_outbox)
        )
        return {
            "@context": AS_NAMESPACE,
            "id": outbox_uri,
            "type": "OrderedCollection",
            "totalItems": total or 0,
            "first": f"{outbox_uri}?page=1",
        }
    query = (
        select(Activity.id, Activity.payload)
        .where(Activity.in_quartier_outbox)
        .order_by(Activity.id.desc())
    )
    if before is not None:
        query = query.where(Activity.id < before)
        page_id = f"{outbox_uri}?before={before}"
    else:
        assert page is not None
        query = query.offset((page - 1) * PAGE_SIZE)
        page_id = f"{outbox_uri}?page={page}"
    rows = (await session.execute(query.limit(PAGE_SIZE + 1))).all()
    document: dict[str, Any] = {
        "@context": AS_NAMESPACE,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": outbox_uri,
        "orderedItems": [outbox_item(payload) for _id, payload in rows[:PAGE_SIZE]],
    }
    if len(rows) > PAGE_SIZE:
        document["next"] = f"{outbox_uri}?before={rows[PAGE_SIZE - 1][0]}"
    return document
