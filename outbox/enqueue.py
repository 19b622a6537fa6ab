"""Writing an activity and its deliveries in the caller's transaction: nothing is lost on a crash."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.vocab import is_public
from outbox.quartier_outbox import list_in_quartier_outbox
from outbox.recipients import deliverable, federated_quartier_inboxes, follower_inboxes
from storage.among import among
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
    activity = Activity(**_activity_columns(sender, document))
    # A public activity of one of our collectives is relayed to the quartiers federated with
    # this one, whoever follows there, and listed in our quartier's outbox, which a quartier
    # reads when it joins.
    is_relayed = to_followers and sender.is_local and sender.is_group and activity.is_public
    if is_relayed:
        await list_in_quartier_outbox(session, activity)
    session.add(activity)
    await session.flush()
    targets = list(inboxes)
    if to_followers:
        targets += await follower_inboxes(session, sender.id)
        if is_relayed:
            targets += await federated_quartier_inboxes(session)
    pairs = await deliverable(session, targets)
    await _insert_deliveries(session, sender, [(activity.id, pair) for pair in pairs])
    return activity


async def enqueue_direct_activities(
    session: AsyncSession, sender: Actor, addressed: Sequence[tuple[dict[str, Any], str]]
) -> None:
    """Store many activities of ``sender``, each delivered to the one inbox beside it (answers
    to many voters at once): two inserts, a read of the new ids and one of the blocked domains."""
    if not addressed:
        return
    # Without RETURNING: SQLite would then insert the rows one statement each.
    await session.execute(
        insert(Activity), [_activity_columns(sender, document) for document, _inbox in addressed]
    )
    uris = [document["id"] for document, _inbox in addressed]
    found = await session.execute(
        select(Activity.uri, Activity.id).where(among(Activity.uri, uris))
    )
    ids: dict[str, int] = {uri: activity_id for uri, activity_id in found}
    pairs = dict(await deliverable(session, [inbox for _document, inbox in addressed]))
    await _insert_deliveries(
        session,
        sender,
        [
            (ids[document["id"]], (inbox, pairs[inbox]))
            for document, inbox in addressed
            if inbox in pairs
        ],
    )


def _activity_columns(sender: Actor, document: dict[str, Any]) -> dict[str, Any]:
    audience = [*_as_list(document.get("to")), *_as_list(document.get("cc"))]
    return {
        "uri": document["id"],
        "type": document["type"],
        "actor_id": sender.id,
        "object_uri": _object_uri(document.get("object")),
        "is_public": any(is_public(item) for item in audience),
        "payload": serialize(document),
    }


async def _insert_deliveries(
    session: AsyncSession, sender: Actor, targets: list[tuple[int, tuple[str, str]]]
) -> None:
    """One delivery row per ``(activity id, (inbox, authority))``."""
    if not targets:
        return
    now = utcnow()
    await session.execute(
        insert(Delivery),
        [
            {
                "activity_id": activity_id,
                "sender_id": sender.id,
                "inbox_uri": inbox,
                "host": host,
                "state": QUEUED,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for activity_id, (inbox, host) in targets
        ],
    )


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
