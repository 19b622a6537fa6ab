"""Timelines: pages of posts a given reader may see, newest first, by keyset (``?before=<id>``).

Every timeline is one query ordered by ``posts.id`` (the order we learnt of the posts) with
``id < before``: the primary key index serves the order and the limit, so a page costs the same
on the first page and the thousandth. The statements are built once, with bound parameters, and
bring the reader's likes and boosts with the posts; a second query fetches attachments, only
for the posts that have some. Cards are in ``commons.posts.cards``, threads in
``commons.posts.threads``, who may see what in ``commons.posts.visibility``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    exists,
    false,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from commons.posts.attachments import attachments_of
from commons.posts.cards import PostCard, select_cards
from commons.posts.visibility import ViewerId, followed_by, member_of, visible_to
from storage.blocks import limited_actor_ids
from storage.integers import parse_row_id
from storage.models import Actor, Host, Media, Post, PostTag, Reaction
from storage.models.posts import ANNOUNCE, LIKE, PUBLIC

PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class TimelinePage:
    cards: list[PostCard]
    next_before: int | None


def _reacted(viewer_id: ViewerId | None, kind: str) -> ColumnElement[bool]:
    if viewer_id is None:
        return false()
    return exists().where(
        Reaction.kind == kind, Reaction.actor_id == viewer_id, Reaction.post_id == Post.id
    )


def _page_statement(
    conditions: Sequence[ColumnElement[bool]], viewer_id: ViewerId | None, paged: bool, limit: int
) -> Select[Post, Actor, bool, bool, bool]:
    """A page of cards with the reader's likes and boosts and whether each post has media."""
    query = (
        select_cards()
        .add_columns(
            _reacted(viewer_id, LIKE),
            _reacted(viewer_id, ANNOUNCE),
            exists().where(Media.post_id == Post.id),
        )
        .where(Post.deleted_at.is_(None), *conditions)
        .order_by(Post.id.desc())
        .limit(limit + 1)
    )
    if paged:
        query = query.where(Post.id < bindparam("before", type_=Integer))
    return query


def _home_conditions(viewer: ColumnElement[int] | None) -> list[ColumnElement[bool]]:
    assert viewer is not None
    groups = member_of(viewer).union(followed_by(viewer))
    return [
        or_(
            Post.actor_id == viewer,
            Post.actor_id.in_(followed_by(viewer)),
            Post.audience_id.in_(groups),
        ),
        visible_to(viewer),
    ]


def _local_conditions(viewer: ColumnElement[int] | None) -> list[ColumnElement[bool]]:
    return [Post.is_local.is_(True), Post.visibility == PUBLIC]


def _tag_conditions(viewer: ColumnElement[int] | None) -> list[ColumnElement[bool]]:
    tagged = select(PostTag.post_id).where(PostTag.tag == bindparam("tag", type_=String))
    return [Post.id.in_(tagged), visible_to(viewer), Post.actor_id.not_in(limited_actor_ids())]


def _actor_conditions(viewer: ColumnElement[int] | None) -> list[ColumnElement[bool]]:
    actor_id = bindparam("actor_id", type_=Integer)
    return [or_(Post.actor_id == actor_id, Post.audience_id == actor_id), visible_to(viewer)]


_PREPARED_TIMELINES = {
    "home": _home_conditions,
    "local": _local_conditions,
    "tag": _tag_conditions,
    "actor": _actor_conditions,
}


@lru_cache(maxsize=64)
def _prepared(
    timeline: str, signed_in: bool, paged: bool, limit: int
) -> Select[Post, Actor, bool, bool, bool]:
    """Built once: building a statement of this size costs about a millisecond of Python, and
    a statement built once also keeps its cache key for SQLAlchemy's compiled cache."""
    viewer = bindparam("viewer_id", type_=Integer) if signed_in else None
    return _page_statement(_PREPARED_TIMELINES[timeline](viewer), viewer, paged, limit)


async def _page(
    session: AsyncSession,
    query: Select[Post, Actor, bool, bool, bool],
    parameters: dict[str, object],
    base_url: str,
    limit: int,
) -> TimelinePage:
    """One query for the page; a second one only for the attachments of posts that have some."""
    rows = (await session.execute(query, parameters)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cards = [
        PostCard(post, author, base_url, is_liked=bool(liked), is_boosted=bool(boosted))
        for post, author, liked, boosted, _ in rows
    ]
    with_media = [post.id for post, _, _, _, has_media in rows if has_media]
    if with_media:
        media = await attachments_of(session, with_media)
        for card in cards:
            card.attachments = media.get(card.post.id, [])
    return TimelinePage(cards, rows[-1][0].id if more and rows else None)


async def _prepared_page(
    session: AsyncSession,
    timeline: str,
    viewer_id: int | None,
    base_url: str,
    before: int | None,
    limit: int,
    **parameters: object,
) -> TimelinePage:
    query = _prepared(timeline, viewer_id is not None, before is not None, limit)
    values = {"viewer_id": viewer_id, "before": before, **parameters}
    return await _page(session, query, values, base_url, limit)


async def home_timeline(
    session: AsyncSession,
    viewer_id: int,
    base_url: str,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> TimelinePage:
    """Posts of the actors I follow, my own, and those of the collectives I belong to."""
    return await _prepared_page(session, "home", viewer_id, base_url, before, limit)


async def local_timeline(
    session: AsyncSession,
    viewer_id: int | None,
    base_url: str,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> TimelinePage:
    """The quartier: public posts written here."""
    return await _prepared_page(session, "local", viewer_id, base_url, before, limit)


async def neighbour_hosts(session: AsyncSession) -> list[str]:
    """The neighbours whose public posts the city timeline shows (the admin may leave some
    out)."""
    shown = select(Host.host).where(Host.is_neighbour.is_(True), Host.in_city_views.is_(True))
    return list((await session.scalars(shown)).all())


async def city_timeline(
    session: AsyncSession,
    viewer_id: int | None,
    base_url: str,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> TimelinePage:
    """The city: public posts written here or on a neighbour instance (not a limited one)."""
    hosts = await neighbour_hosts(session)
    from_neighbours: ColumnElement[bool] = false()
    if hosts:
        domains = or_(Actor.domain.in_(hosts), *(Actor.domain.like(f"{host}:%") for host in hosts))
        neighbours = select(Actor.id).where(Actor.is_local.is_(False), domains)
        from_neighbours = Post.actor_id.in_(neighbours)
    conditions = [
        or_(Post.is_local.is_(True), from_neighbours),
        Post.visibility == PUBLIC,
        Post.actor_id.not_in(limited_actor_ids()),
    ]
    query = _page_statement(conditions, viewer_id, before is not None, limit)
    return await _page(session, query, {"before": before}, base_url, limit)


async def tag_timeline(
    session: AsyncSession,
    tag: str,
    viewer_id: int | None,
    base_url: str,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> TimelinePage:
    return await _prepared_page(session, "tag", viewer_id, base_url, before, limit, tag=tag)


def parse_before(value: str | None) -> int | None:
    """``?before=`` as a row id; anything else means the first page (never an error)."""
    return parse_row_id(value)
