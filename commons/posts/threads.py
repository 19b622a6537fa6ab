"""A post in its conversation: what it answers, up the chain, and the replies to it, down."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.posts.cards import PostCard, card_details, select_cards
from commons.posts.visibility import visible_to
from storage.models import Actor, Post

THREAD_DEPTH = 6
THREAD_SIZE = 200


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
