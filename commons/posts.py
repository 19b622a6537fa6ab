"""Publishing, editing and deleting posts: the services the web UI, the API and the demo share."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from actors.uris import Uris
from commons.markdown import render_markdown
from commons.notes import addressing, build_note, build_tombstone
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Post, utcnow
from storage.models.posts import PUBLIC


async def publish_note(
    session: AsyncSession,
    uris: Uris,
    author: Actor,
    markdown: str,
    *,
    audience: Actor | None = None,
    visibility: str = PUBLIC,
    summary: str | None = None,
    in_reply_to: str | None = None,
    language: str | None = "fr",
    inboxes: list[str] | None = None,
) -> Post:
    """Write a local post and its ``Create``, queued for every follower's inbox."""
    uri = uris.new_post()
    post = Post(
        uri=uri,
        type="Note",
        actor_id=author.id,
        audience_id=audience.id if audience else None,
        is_local=True,
        url=uri,
        source=markdown,
        content_html=render_markdown(markdown),
        summary=summary or None,
        is_sensitive=bool(summary),
        language=language,
        visibility=visibility,
        in_reply_to_uri=in_reply_to,
        published=utcnow(),
    )
    session.add(post)
    await session.flush()
    note = build_note(post, author, audience, with_context=False)
    to, cc = addressing(author, visibility, audience)
    extra = list(inboxes or [])
    if audience is not None and not audience.is_local:
        extra.append(audience.delivery_inbox)
    await enqueue_activity(
        session, author, build_activity(uris, "Create", author, note, to, cc), inboxes=extra
    )
    return post


async def edit_note(
    session: AsyncSession, uris: Uris, author: Actor, post: Post, markdown: str
) -> Post:
    post.source = markdown
    post.content_html = render_markdown(markdown)
    post.updated = utcnow()
    await session.flush()
    audience = await session.get(Actor, post.audience_id) if post.audience_id else None
    note = build_note(post, author, audience, with_context=False)
    to, cc = addressing(author, post.visibility, audience)
    await enqueue_activity(session, author, build_activity(uris, "Update", author, note, to, cc))
    return post


async def delete_note(session: AsyncSession, uris: Uris, author: Actor, post: Post) -> Post:
    """Keep the row as a tombstone and tell everyone who had the post."""
    post.deleted_at = utcnow()
    post.content_html = ""
    post.source = None
    await session.flush()
    audience = await session.get(Actor, post.audience_id) if post.audience_id else None
    to, cc = addressing(author, post.visibility, audience)
    tombstone = build_tombstone(post)
    await enqueue_activity(
        session, author, build_activity(uris, "Delete", author, tombstone, to, cc)
    )
    return post
