"""Reads about posts for the pages: one post by the key a page uses, a profile's latest posts,
the images a refused form left behind.

Each function takes an open session and returns rows; none of them writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.integers import parse_row_id
from storage.models import Actor, Media, Post
from storage.models.posts import PUBLIC


async def find_post(session: AsyncSession, base_url: str, key: str) -> tuple[Post, Actor] | None:
    """A post by the key our pages use (the uuid of ours, the row id of any) and its author."""
    if (row_id := parse_row_id(key)) is not None:
        condition = Post.id == row_id
    else:
        try:
            condition = Post.uri == f"{base_url}/posts/{uuid.UUID(key)}"
        except ValueError:
            return None
    row = (
        await session.execute(
            select(Post, Actor).join(Actor, Actor.id == Post.actor_id).where(condition)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def post_by_id(session: AsyncSession, post_id: int) -> Post | None:
    return await session.get(Post, post_id)


async def latest_posts(
    session: AsyncSession, actor_id: int, *, limit: int
) -> list[tuple[Post, Actor]]:
    """Public local posts by the actor or, for a collective, its posts (remote members' too)."""
    rows = await session.execute(
        select(Post, Actor)
        .join(Actor, Post.actor_id == Actor.id)
        .where(
            or_(Post.actor_id == actor_id, Post.audience_id == actor_id),
            or_(Post.is_local.is_(True), Post.audience_id == actor_id),
            Post.visibility == PUBLIC,
            Post.deleted_at.is_(None),
        )
        .order_by(Post.published.desc(), Post.id.desc())
        .limit(limit)
    )
    return [(post, author) for post, author in rows.all()]


async def unposted_images(
    session: AsyncSession, owner_id: int, keys: Iterable[str]
) -> dict[str, Media]:
    """The owner's stored images, not yet in a post, by key (those a refused form kept)."""
    rows = await session.scalars(
        select(Media).where(
            Media.key.in_(list(keys)),
            Media.owner_id == owner_id,
            Media.post_id.is_(None),
            Media.data.is_not(None),
        )
    )
    return {media.key: media for media in rows}
