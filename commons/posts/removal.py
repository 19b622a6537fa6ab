"""Taking a post down, by its author or a moderator: ours are deleted everywhere they went (a
``Delete`` to whoever received them), a copy of a remote post is emptied here only."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from commons.posts.services import delete_note
from config.uris import Uris
from storage.models import Actor, Post, utcnow


async def remove_post(session: AsyncSession, uris: Uris, post_id: int) -> None:
    post = await session.get(Post, post_id)
    author = await session.get(Actor, post.actor_id) if post is not None else None
    if post is None or author is None:
        return
    if post.is_local:
        await delete_note(session, uris, author, post)
    else:
        post.deleted_at = utcnow()
        post.content_html = ""
