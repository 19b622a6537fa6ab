"""An actor's outbox: its public activities, newest first, as stored when they were sent."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.collections import CollectionSource, load_collection
from storage.models import Activity, Actor, Post

OBJECT_CARRYING_TYPES = ("Create", "Update")


def outbox_item(payload: str) -> dict[str, Any]:
    """A stored activity without its `@context` (the page carries one)."""
    document: dict[str, Any] = json.loads(payload)
    document.pop("@context", None)
    return document


def _not_of_deleted_post() -> ColumnElement[bool]:
    """A Create or Update of a post deleted since would republish its content: leave it out."""
    return not_(and_(Activity.type.in_(OBJECT_CARRYING_TYPES), Post.deleted_at.is_not(None)))


def outbox_source(actor: Actor) -> CollectionSource:
    condition = (
        Activity.actor_id == actor.id,
        Activity.is_public.is_(True),
        _not_of_deleted_post(),
    )
    return CollectionSource(
        count=select(func.count())
        .select_from(Activity)
        .outerjoin(Post, Post.uri == Activity.object_uri)
        .where(*condition),
        items=select(Activity.payload)
        .outerjoin(Post, Post.uri == Activity.object_uri)
        .where(*condition)
        .order_by(Activity.published.desc(), Activity.id.desc()),
        to_item=outbox_item,
    )


async def load_outbox(session: AsyncSession, actor: Actor, page: int | None) -> dict[str, Any]:
    uri = actor.outbox_uri or f"{actor.uri}/outbox"
    return await load_collection(session, uri, outbox_source(actor), page)
