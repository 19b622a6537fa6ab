"""What a client reads back with its token: its own posts, public or not (with their Markdown
``source``), and its inbox as a paged ``OrderedCollection`` (ActivityPub §5.2).

The inbox holds what reached the owner: activities from other servers sent to their inbox, sent
by the actors they follow, or naming them; and our own residents' activities that would have
been delivered to them (public or followers-only from someone they follow, or naming them).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import InstrumentedAttribute

from actors.collections import CollectionSource
from commons.posts.visibility import followed_by
from commons.posts.wire import build_note
from storage.models import Activity, Actor, InboxItem, Post

NOT_FOR_FOLLOWERS = ("Follow", "Like", "Accept", "Reject", "Join", "Leave", "Add", "Remove")


def _names(payload: InstrumentedAttribute[str], uri: str) -> ColumnElement[bool]:
    return payload.contains(json.dumps(uri))


def _received(owner: Actor) -> Select[str, datetime]:
    followed_uris = select(Actor.uri).where(Actor.id.in_(followed_by(owner.id)))
    return select(InboxItem.payload.label("payload"), InboxItem.received_at.label("at")).where(
        or_(
            InboxItem.recipient_id == owner.id,
            and_(
                InboxItem.actor_uri.in_(followed_uris),
                InboxItem.activity_type.not_in(NOT_FOR_FOLLOWERS),
            ),
            _names(InboxItem.payload, owner.uri),
        )
    )


def _local(owner: Actor) -> Select[str, datetime]:
    followers_payload = Activity.payload.contains('/followers"')
    return select(Activity.payload.label("payload"), Activity.published.label("at")).where(
        Activity.actor_id != owner.id,
        or_(
            and_(
                Activity.actor_id.in_(followed_by(owner.id)),
                or_(Activity.is_public.is_(True), followers_payload),
                Activity.type.not_in(NOT_FOR_FOLLOWERS),
            ),
            _names(Activity.payload, owner.uri),
        ),
    )


def _item(payload: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(payload)
    for hidden in ("@context", "bto", "bcc"):
        document.pop(hidden, None)
    return document


def inbox_source(owner: Actor) -> CollectionSource:
    both = union_all(_received(owner), _local(owner)).subquery()
    return CollectionSource(
        count=select(func.count()).select_from(both),
        items=select(both.c.payload).order_by(both.c.at.desc()),
        to_item=_item,
    )


def build_own_post(post: Post, author: Actor, audience: Actor | None) -> dict[str, Any]:
    """The post as its author reads it back: with its Markdown ``source`` (never ``bto``/``bcc``,
    which leave nobody's copy)."""
    return build_note(post, author, audience, for_author=True)
