"""Persisting received activities: one row per activity id, so a redelivery changes nothing."""

from __future__ import annotations

from federation.parsing import ParsedActivity
from storage.database import Database
from storage.models import InboxItem, utcnow
from storage.models.queue import QUEUED
from storage.upsert import insert_ignoring_duplicates


async def store_inbox_item(
    database: Database, activity: ParsedActivity, body: bytes, recipient_id: int | None
) -> bool:
    """True when the activity is new; False for a redelivery of a known id."""
    now = utcnow()
    async with database.transaction() as session:
        inserted = await insert_ignoring_duplicates(
            session,
            InboxItem,
            [
                {
                    "activity_uri": activity.id,
                    "actor_uri": activity.actor_uri,
                    "activity_type": activity.type[:64],
                    "recipient_id": recipient_id,
                    "payload": body.decode("utf-8", errors="replace"),
                    "state": QUEUED,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "received_at": now,
                }
            ],
            ["activity_uri"],
        )
    return inserted > 0
