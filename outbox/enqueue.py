"""Writing an activity and its deliveries in the caller's transaction: nothing is lost on a crash."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federation.vocab import is_public
from outbox.recipients import deliverable, follower_inboxes
from storage.models import Activity, Actor, Delivery, utcnow
from storage.models.queue import QUEUED


def serialize(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


async def enqueue_activity(
    session: AsyncSession,
    sender: Actor,
    document: dict[str, Any],
    *,
    to_followers: bool = True,
    inboxes: Iterable[str] = (),
) -> Activity:
    """Store ``document`` as an outbox activity and one delivery row per remote inbox."""
    audience = [*_as_list(document.get("to")), *_as_list(document.get("cc"))]
    activity = Activity(
        uri=document["id"],
        type=document["type"],
        actor_id=sender.id,
        object_uri=_object_uri(document.get("object")),
        is_public=any(is_public(item) for item in audience),
        payload=serialize(document),
    )
    session.add(activity)
    await session.flush()
    targets = list(inboxes)
    if to_followers:
        targets += await follower_inboxes(session, sender.id)
    pairs = await deliverable(session, targets)
    if pairs:
        now = utcnow()
        await session.execute(
            insert(Delivery),
            [
                {
                    "activity_id": activity.id,
                    "sender_id": sender.id,
                    "inbox_uri": inbox,
                    "host": host,
                    "state": QUEUED,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for inbox, host in pairs
            ],
        )
    return activity


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _object_uri(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None
