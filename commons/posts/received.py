"""Posts that other servers send us: kept once, changed or erased only by their author.

The inbox calls these inside the one transaction it opens per received activity.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.neighbours import note_if_neighbour
from commons.markdown import sanitize_html
from commons.notifications import notify_reply_and_mentions
from commons.posts.notices import notify_collectives
from commons.posts.remote import store_remote_post
from federation.parsing import ParsedObject
from federation.vocab import same_origin
from storage.models import Actor, Post, utcnow


def authored_by(obj: ParsedObject, sender: Actor) -> bool:
    """Only an object's author may create or change it, and it must live on their server."""
    author = obj.attributed_to or sender.uri
    return obj.id is not None and author == sender.uri and same_origin(obj.id, sender.uri)


async def receive_post(
    session: AsyncSession,
    obj: ParsedObject,
    author: Actor,
    audience: Actor | None = None,
    *,
    neighbour: bool = False,
) -> Post | None:
    """Keep a new remote post and tell the people (and collectives) it mentions or answers;
    None when it is already known (a redelivery under another activity id)."""
    assert obj.id is not None
    if await session.scalar(select(Post.id).where(Post.uri == obj.id)) is not None:
        return None
    post = await store_remote_post(session, obj, author, audience, new=True)
    if neighbour:
        await note_if_neighbour(session, author)
    await notify_reply_and_mentions(session, post)
    await notify_collectives(session, post)
    return post


async def receive_post_change(
    session: AsyncSession, obj: ParsedObject, author: Actor, post: Post
) -> bool:
    """The author's new version of a post; False when the post is not theirs or is gone."""
    if post.actor_id != author.id or post.deleted_at is not None:
        return False
    await store_remote_post(session, obj, author)
    post.updated = obj.updated or utcnow()
    return True


def erase_post(post: Post) -> bool:
    """Keep the row (replies still point at it) and drop what it said; False if already gone."""
    if post.deleted_at is not None:
        return False
    post.deleted_at = utcnow()
    post.content_html = sanitize_html("")
    post.source = None
    post.document = None
    return True
