"""A collective passes its members' activities on to its followers (FEP-1b12, as Lemmy).

Lemmy, Mbin and our own instances read ``Announce{activity as received}``: the Create, Update or
Delete of a member's post. Mastodon ignores an Announce whose object is a Create, so for a Create
the collective also sends a plain ``Announce{object id}``, which Mastodon shows as a boost (it
fetches the object from its author's server, never trusting a copy). Both Announces are stored by
:func:`outbox.enqueue.enqueue_activity`, so their ids answer a GET at ``/activities/{uuid}``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from config.uris import Uris
from federation.vocab import PUBLIC, ids_of, is_public
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Activity, Actor

REDISTRIBUTED_TYPES = frozenset({"Create", "Update", "Delete"})


def _addressing(group: Actor) -> tuple[list[str], list[str]]:
    return [PUBLIC], [group.followers_uri or f"{group.uri}/followers"]


def is_public_activity(activity: dict[str, Any]) -> bool:
    addressed = [*ids_of(activity.get("to")), *ids_of(activity.get("cc"))]
    return any(is_public(uri) for uri in addressed)


def build_group_announce(uris: Uris, group: Actor, obj: dict[str, Any] | str) -> dict[str, Any]:
    to, cc = _addressing(group)
    announce = build_activity(uris, "Announce", group, obj, to, cc)
    announce["audience"] = group.uri
    return announce


async def redistribute(
    session: AsyncSession, uris: Uris, group: Actor, activity: dict[str, Any]
) -> list[Activity]:
    """Queue the collective's Announce(s) of a member's public ``activity`` to its followers.

    A followers-only or direct activity is never passed on: an Announce would make it public.
    """
    kind = activity.get("type")
    if kind not in REDISTRIBUTED_TYPES or not is_public_activity(activity):
        return []
    sent = [await enqueue_activity(session, group, build_group_announce(uris, group, activity))]
    if kind == "Create":
        obj = activity.get("object")
        object_id = obj.get("id") if isinstance(obj, dict) else obj
        if isinstance(object_id, str) and object_id:
            plain = build_group_announce(uris, group, object_id)
            sent.append(await enqueue_activity(session, group, plain))
    return sent


async def redistribute_local(
    session: AsyncSession, uris: Uris, audience: Actor | None, sent: Activity
) -> list[Activity]:
    """A local post's activity (as stored when queued) addressed to one of our collectives is
    announced by it.

    Whether the author may post there is checked before the post is written
    (:func:`actors.groups.ensure_may_post`); this only passes the activity on.
    """
    if audience is None or not audience.is_local or not audience.is_group:
        return []
    if sent.actor_id == audience.id:
        return []
    activity: dict[str, Any] = json.loads(sent.payload)
    return await redistribute(session, uris, audience, activity)
