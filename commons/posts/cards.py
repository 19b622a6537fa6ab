"""A post as every list shows it: the post, its author, its attachments, the reader's reactions."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from markupsafe import Markup
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from commons.markdown import sanitize_html
from commons.posts.attachments import attachments_of, is_image, media_url, player_of
from storage.models import Actor, Media, Post, Reaction
from storage.models.posts import ANNOUNCE, LIKE


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
        """Sanitized again at render: never trust what the database holds. A title of ours
        comes first, as a remote Article's does."""
        body = sanitized(self.post.content_html)
        if self.post.is_local and self.post.name:
            return Markup("<p><strong>{}</strong></p>").format(self.post.name) + body
        return body

    @property
    def summary_text(self) -> str:
        return html.unescape(nh3.clean(self.post.summary or "", tags=set()))

    @property
    def is_deleted(self) -> bool:
        return self.post.deleted_at is not None

    def images(self) -> list[tuple[str, str]]:
        return [(media_url(m, self.base_url), m.alt_text) for m in self.attachments if is_image(m)]

    def players(self) -> list[tuple[str, str, str]]:
        """``(audio|video, url, description)`` of the sounds and videos played in place."""
        found = [(player_of(m), media_url(m, self.base_url), m.alt_text) for m in self.attachments]
        return [(kind, url, alt) for kind, url, alt in found if kind is not None]

    def documents(self) -> list[tuple[str, str]]:
        return [
            (media_url(m, self.base_url), m.alt_text)
            for m in self.attachments
            if not is_image(m) and player_of(m) is None
        ]


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
