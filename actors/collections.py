"""Paginated OrderedCollections of our actors: followers, following, members, moderators.

The root carries `totalItems` and a `first` page; pages are `?page=N` (from 1) with
`next`/`prev`/`partOf`. A collection that fits in one page also embeds its `orderedItems`
in the root: Lemmy reads `moderators`, `featured` and `outbox` without following `first`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.errors import ErrorCode, Invalid
from federation.vocab import AS_NAMESPACE
from storage.integers import parse_row_id
from storage.models import Actor, Event, EventOccurrence, Follow, Membership
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.events import CANCELLED
from storage.models.follows import ACCEPTED

PAGE_SIZE = 20
MODERATOR_ROLES = ("admin", "facilitator")


class InvalidPage(Invalid):
    """The `page` query parameter is not a whole number from 1."""

    def __init__(self, raw: str) -> None:
        super().__init__(ErrorCode.INVALID_PAGE, "page", page=raw)


def parse_page(raw: str | None) -> int | None:
    """None for the collection itself, else the page number (no page lies further than the
    largest row id: beyond it, the offset would not fit the database's integers)."""
    if raw is None:
        return None
    page = parse_row_id(raw)
    if page is None:
        raise InvalidPage(raw)
    return page


def page_uri(collection_uri: str, page: int) -> str:
    return f"{collection_uri}?page={page}"


def build_ordered_collection(
    collection_uri: str, total: int, *, items: Sequence[Any] | None = None
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": AS_NAMESPACE,
        "id": collection_uri,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": page_uri(collection_uri, 1),
    }
    if items is not None:
        document["orderedItems"] = list(items)
    return document


def build_collection_page(
    collection_uri: str,
    page: int,
    total: int,
    items: Sequence[Any],
    *,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": AS_NAMESPACE,
        "id": page_uri(collection_uri, page),
        "type": "OrderedCollectionPage",
        "partOf": collection_uri,
        "totalItems": total,
        "orderedItems": list(items),
    }
    if page * page_size < total:
        document["next"] = page_uri(collection_uri, page + 1)
    if page > 1:
        document["prev"] = page_uri(collection_uri, min(page - 1, last_page(total, page_size)))
    return document


def last_page(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // page_size))


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class CollectionSource:
    """How to count a collection and select its items, already in collection order."""

    count: Select[int]
    items: Select[Any]
    to_item: Callable[[Any], Any] = field(default=_identity)


async def load_collection(
    session: AsyncSession,
    collection_uri: str,
    source: CollectionSource | None,
    page: int | None,
    *,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """The collection root (page None) or one of its pages; a None source is always empty."""
    total = (await session.scalar(source.count) or 0) if source is not None else 0
    if page is None and total > page_size:
        return build_ordered_collection(collection_uri, total)
    number = page or 1
    items: list[Any] = []
    if source is not None and (number - 1) * page_size < total:
        rows = await session.scalars(source.items.limit(page_size).offset((number - 1) * page_size))
        items = [source.to_item(row) for row in rows]
    if page is None:
        return build_ordered_collection(collection_uri, total, items=items)
    return build_collection_page(collection_uri, number, total, items, page_size=page_size)


def followers_source(actor: Actor) -> CollectionSource:
    """Accepted followers' URIs, the newest first."""
    condition = (Follow.followed_id == actor.id, Follow.state == ACCEPTED)
    return CollectionSource(
        count=select(func.count()).select_from(Follow).where(*condition),
        items=select(Actor.uri)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(*condition)
        .order_by(Follow.id.desc()),
    )


def following_source(actor: Actor) -> CollectionSource:
    """URIs of the actors `actor` follows (accepted), the newest first."""
    condition = (Follow.follower_id == actor.id, Follow.state == ACCEPTED)
    return CollectionSource(
        count=select(func.count()).select_from(Follow).where(*condition),
        items=select(Actor.uri)
        .join(Follow, Follow.followed_id == Actor.id)
        .where(*condition)
        .order_by(Follow.id.desc()),
    )


def members_source(group: Actor, roles: Sequence[str] | None = None) -> CollectionSource:
    """Members' URIs in the order they joined; `roles` narrows to some roles."""
    condition = [Membership.group_id == group.id, Membership.state == MEMBERSHIP_ACCEPTED]
    if roles is not None:
        condition.append(Membership.role.in_(roles))
    return CollectionSource(
        count=select(func.count()).select_from(Membership).where(*condition),
        items=select(Actor.uri)
        .join(Membership, Membership.member_id == Actor.id)
        .where(*condition)
        .order_by(Membership.id),
    )


def moderators_source(group: Actor) -> CollectionSource:
    return members_source(group, MODERATOR_ROLES)


def upcoming_events_source(
    actor: Actor, now: datetime, to_item: Callable[[Any], Any]
) -> CollectionSource:
    """The actor's events with a date not over yet, the soonest next date first.

    A series counts while one of its written dates ends after ``now``, or while its rule goes on
    past where its dates are written (``occurrences_until``); one whose rule has run out does not.
    """
    not_over = func.coalesce(EventOccurrence.end_time, EventOccurrence.start_time) >= now
    next_start = (
        select(func.min(EventOccurrence.start_time))
        .where(EventOccurrence.event_id == Event.id, not_over)
        .correlate(Event)
        .scalar_subquery()
    )
    condition = (
        Event.actor_id == actor.id,
        Event.is_local.is_(True),
        Event.deleted_at.is_(None),
        Event.status != CANCELLED,
        or_(
            exists().where(EventOccurrence.event_id == Event.id, not_over),
            Event.occurrences_until.is_not(None),
        ),
    )
    return CollectionSource(
        count=select(func.count()).select_from(Event).where(*condition),
        items=select(Event)
        .where(*condition)
        .order_by(func.coalesce(next_start, Event.occurrences_until), Event.id),
        to_item=to_item,
    )
