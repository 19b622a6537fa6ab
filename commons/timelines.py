"""Timelines: pages of posts a given reader may see, newest first, by keyset (``?before=<id>``).

Every timeline is one query ordered by ``posts.id`` (the order we learnt of the posts) with
``id < before``: the primary key index serves the order and the limit, so a page costs the same
on the first page and the thousandth. Then two small queries by id fetch what the cards show.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from commons.attachments import attachments_of, is_image, media_url
from commons.markdown import sanitize_html
from storage.models import (
    Actor,
    Follow,
    Host,
    Media,
    Membership,
    Post,
    PostMention,
    PostTag,
    Reaction,
)
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.follows import ACCEPTED
from storage.models.posts import FOLLOWERS, PUBLIC

PAGE_SIZE = 20
THREAD_DEPTH = 6
THREAD_SIZE = 200
LIKE = "like"
ANNOUNCE = "announce"


def is_http_url(value: str | None) -> bool:
    return bool(value) and str(value).lower().startswith(("https://", "http://"))


def link_of(actor: Actor) -> str:
    """A link to an actor's page that cannot be a ``javascript:`` URL, whatever it sent us."""
    if is_http_url(actor.url):
        return str(actor.url)
    return actor.uri if is_http_url(actor.uri) else "#"


@lru_cache(maxsize=4096)
def sanitized(content_html: str) -> Markup:
    """``sanitize_html`` is pure: the cards of a busy first page are cleaned once."""
    return Markup(sanitize_html(content_html))  # noqa: S704


@dataclass(slots=True)
class PostCard:
    """One post as every list shows it (see ``webui/templates/partials/post_card.html``)."""

    post: Post
    author: Actor
    base_url: str
    attachments: list[Media] = field(default_factory=list)
    is_liked: bool = False
    is_boosted: bool = False
    likes: int | None = None
    boosts: int | None = None
    depth: int = 0

    @property
    def key(self) -> str:
        """How our pages name the post: the uuid of ours, the row id of a remote one."""
        prefix = f"{self.base_url}/posts/"
        if self.post.is_local and self.post.uri.startswith(prefix):
            return self.post.uri[len(prefix) :]
        return str(self.post.id)

    @property
    def author_url(self) -> str:
        return link_of(self.author)

    @property
    def page_url(self) -> str:
        return f"/posts/{self.key}"

    @property
    def content(self) -> Markup:
        """Sanitized again at render: never trust what the database holds."""
        return sanitized(self.post.content_html)

    @property
    def summary_text(self) -> str:
        return html.unescape(nh3.clean(self.post.summary or "", tags=set()))

    @property
    def is_deleted(self) -> bool:
        return self.post.deleted_at is not None

    def images(self) -> list[tuple[str, str]]:
        return [(media_url(m, self.base_url), m.alt_text) for m in self.attachments if is_image(m)]

    def documents(self) -> list[tuple[str, str]]:
        return [
            (media_url(m, self.base_url), m.alt_text) for m in self.attachments if not is_image(m)
        ]


@dataclass(frozen=True, slots=True)
class TimelinePage:
    cards: list[PostCard]
    next_before: int | None


ViewerId = int | ColumnElement[int]
"""A reader's actor id, or the bound parameter that stands for it in a prepared statement."""


def _followed(viewer_id: ViewerId) -> Select[int]:
    return select(Follow.followed_id).where(
        Follow.follower_id == viewer_id, Follow.state == ACCEPTED
    )


def _member_of(viewer_id: ViewerId) -> Select[int]:
    return select(Membership.group_id).where(
        Membership.member_id == viewer_id, Membership.state == MEMBERSHIP_ACCEPTED
    )


def visible_to(viewer_id: ViewerId | None) -> ColumnElement[bool]:
    """Public posts to anyone; followers-only ones to accepted followers; mentioned-only ones
    to the mentioned; anything to its author and, when addressed to a collective, its members."""
    if viewer_id is None:
        return Post.visibility == PUBLIC
    return or_(
        Post.visibility == PUBLIC,
        Post.actor_id == viewer_id,
        and_(Post.visibility == FOLLOWERS, Post.actor_id.in_(_followed(viewer_id))),
        Post.audience_id.in_(_member_of(viewer_id)),
        exists().where(PostMention.post_id == Post.id, PostMention.actor_id == viewer_id),
    )


def select_cards() -> Select[Post, Actor]:
    return (
        select(Post, Actor)
        .join(Actor, Actor.id == Post.actor_id)
        .options(
            defer(Post.document, raiseload=True),
            defer(Post.source, raiseload=True),
            defer(Actor.document, raiseload=True),
            defer(Actor.public_key_pem, raiseload=True),
            defer(Actor.private_key_pem, raiseload=True),
        )
    )


async def card_details(
    session: AsyncSession,
    rows: Sequence[tuple[Post, Actor]],
    viewer_id: int | None,
    base_url: str,
    *,
    with_counts: bool = False,
) -> list[PostCard]:
    """Cards for ``(post, author)`` rows: attachments, the reader's likes and boosts."""
    cards = [PostCard(post, author, base_url) for post, author in rows]
    ids = [card.post.id for card in cards]
    if not ids:
        return cards
    media = await attachments_of(session, ids)
    mine: set[tuple[int, str]] = set()
    if viewer_id is not None:
        mine = {
            (post_id, kind)
            for post_id, kind in await session.execute(
                select(Reaction.post_id, Reaction.kind).where(
                    Reaction.actor_id == viewer_id, Reaction.post_id.in_(ids)
                )
            )
        }
    counts: dict[tuple[int, str], int] = {}
    if with_counts:
        counts = {
            (post_id, kind): int(n)
            for post_id, kind, n in await session.execute(
                select(Reaction.post_id, Reaction.kind, func.count(Reaction.id))
                .where(Reaction.post_id.in_(ids))
                .group_by(Reaction.post_id, Reaction.kind)
            )
        }
    for card in cards:
        card.attachments = media.get(card.post.id, [])
        card.is_liked = (card.post.id, LIKE) in mine
        card.is_boosted = (card.post.id, ANNOUNCE) in mine
        if with_counts:
            card.likes = counts.get((card.post.id, LIKE), 0)
            card.boosts = counts.get((card.post.id, ANNOUNCE), 0)
    return cards


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
    groups = _member_of(viewer).union(_followed(viewer))
    return [
        or_(
            Post.actor_id == viewer,
            Post.actor_id.in_(_followed(viewer)),
            Post.audience_id.in_(groups),
        ),
        visible_to(viewer),
    ]


def _local_conditions(viewer: ColumnElement[int] | None) -> list[ColumnElement[bool]]:
    return [Post.is_local.is_(True), Post.visibility == PUBLIC]


def _tag_conditions(viewer: ColumnElement[int] | None) -> list[ColumnElement[bool]]:
    tagged = select(PostTag.post_id).where(PostTag.tag == bindparam("tag", type_=String))
    return [Post.id.in_(tagged), visible_to(viewer)]


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
    return list((await session.scalars(select(Host.host).where(Host.is_neighbour.is_(True)))).all())


async def city_timeline(
    session: AsyncSession,
    viewer_id: int | None,
    base_url: str,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> TimelinePage:
    """The city: public posts written here or on a neighbour instance."""
    hosts = await neighbour_hosts(session)
    from_neighbours: ColumnElement[bool] = false()
    if hosts:
        domains = or_(Actor.domain.in_(hosts), *(Actor.domain.like(f"{host}:%") for host in hosts))
        neighbours = select(Actor.id).where(Actor.is_local.is_(False), domains)
        from_neighbours = Post.actor_id.in_(neighbours)
    conditions = [or_(Post.is_local.is_(True), from_neighbours), Post.visibility == PUBLIC]
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


async def actor_timeline(
    session: AsyncSession,
    actor_id: int,
    viewer_id: int | None,
    base_url: str,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> TimelinePage:
    """What one actor wrote, or, for a collective, what was addressed to it too."""
    return await _prepared_page(
        session, "actor", viewer_id, base_url, before, limit, actor_id=actor_id
    )


async def can_see(session: AsyncSession, post_id: int, viewer_id: int | None) -> bool:
    found = await session.scalar(select(Post.id).where(Post.id == post_id, visible_to(viewer_id)))
    return found is not None


@dataclass(frozen=True, slots=True)
class Thread:
    ancestors: list[PostCard]
    focus: PostCard
    replies: list[PostCard]


async def load_thread(
    session: AsyncSession, post: Post, author: Actor, viewer_id: int | None, base_url: str
) -> Thread:
    """The posts a post answers (up the chain) and the replies to it (down to a few levels)."""
    ancestors: list[tuple[Post, Actor]] = []
    parent_uri = post.in_reply_to_uri
    seen = {post.uri}
    while parent_uri and parent_uri not in seen and len(ancestors) < THREAD_SIZE // 10:
        seen.add(parent_uri)
        row = (
            await session.execute(
                select_cards().where(Post.uri == parent_uri, visible_to(viewer_id))
            )
        ).first()
        if row is None:
            break
        ancestors.insert(0, (row[0], row[1]))
        parent_uri = row[0].in_reply_to_uri
    replies: list[tuple[Post, Actor, int]] = []
    level = [post.uri]
    for depth in range(1, THREAD_DEPTH + 1):
        if not level or len(replies) >= THREAD_SIZE:
            break
        found = (
            await session.execute(
                select_cards()
                .where(Post.in_reply_to_uri.in_(level), visible_to(viewer_id))
                .order_by(Post.id)
                .limit(THREAD_SIZE)
            )
        ).all()
        replies.extend((p, a, depth) for p, a in found if p.uri not in seen)
        seen.update(p.uri for p, _ in found)
        level = [p.uri for p, _ in found]
    ordered = _depth_first(post.uri, replies)
    cards = await card_details(
        session,
        [*ancestors, (post, author), *((p, a) for p, a, _ in ordered)],
        viewer_id,
        base_url,
        with_counts=True,
    )
    head, focus, tail = cards[: len(ancestors)], cards[len(ancestors)], cards[len(ancestors) + 1 :]
    for card, (_, _, depth) in zip(tail, ordered, strict=True):
        card.depth = depth
    return Thread(head, focus, tail)


def _depth_first(
    root_uri: str, replies: list[tuple[Post, Actor, int]]
) -> list[tuple[Post, Actor, int]]:
    children: dict[str, list[tuple[Post, Actor, int]]] = {}
    for item in replies:
        children.setdefault(item[0].in_reply_to_uri or "", []).append(item)
    ordered: list[tuple[Post, Actor, int]] = []

    def walk(uri: str) -> None:
        for item in children.get(uri, []):
            ordered.append(item)
            walk(item[0].uri)

    walk(root_uri)
    return ordered


def parse_before(value: str | None) -> int | None:
    """``?before=`` as a row id; anything else means the first page (never an error)."""
    if value is None or not value.isdigit() or len(value) > 18:
        return None
    return int(value)
