"""Publishing, editing and deleting posts: the services the web UI, the API and the demo share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.groups import ensure_may_post
from actors.uris import Uris
from commons.attachments import attach_media, build_attachment
from commons.collective_notices import notify_collectives
from commons.hashtags import build_hashtag, link_hashtags, replace_post_tags
from commons.markdown import render_markdown, sanitize_html
from commons.mentions import build_mention, known_mentions, link_mentions, replace_post_mentions
from commons.notes import addressing, build_note, build_tombstone, note_addressing
from commons.notifications import notify
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from outbox.redistribution import redistribute_local
from storage.models import Actor, Media, Post, utcnow
from storage.models.posts import MENTIONED, PUBLIC


@dataclass(frozen=True, slots=True)
class RenderedPost:
    html: str
    hashtags: list[str]
    mentioned: list[Actor]


async def render_post(
    session: AsyncSession,
    uris: Uris,
    author: Actor,
    markdown: str,
    mentions: Mapping[str, Actor] | None = None,
) -> RenderedPost:
    """Markdown (raw HTML off) with its mentions and hashtags linked, sanitized once more."""
    known = await known_mentions(session, markdown, author.domain)
    known.update(mentions or {})
    html, mentioned = link_mentions(render_markdown(markdown), known)
    html, hashtags = link_hashtags(html, uris.base)
    return RenderedPost(sanitize_html(html), hashtags, mentioned)


async def _parent(session: AsyncSession, in_reply_to: str | None) -> tuple[Post, Actor] | None:
    if not in_reply_to:
        return None
    row = (
        await session.execute(
            select(Post, Actor)
            .join(Actor, Actor.id == Post.actor_id)
            .where(Post.uri == in_reply_to)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def _extras(
    uris: Uris,
    rendered: RenderedPost,
    attachments: Sequence[dict[str, Any]],
    parent_author: Actor | None,
) -> dict[str, Any]:
    """Kept in ``posts.document`` for a local post, read back by ``build_note``."""
    extras: dict[str, Any] = {
        "tag": [build_mention(a) for a in rendered.mentioned]
        + [build_hashtag(t, uris.base) for t in rendered.hashtags],
    }
    if attachments:
        extras["attachment"] = list(attachments)
    if parent_author is not None:
        extras["cc"] = [parent_author.uri]
    return extras


def _recipient_inboxes(
    post: Post, mentioned: Sequence[Actor], audience: Actor | None, parent_author: Actor | None
) -> list[str]:
    """Remote inboxes beyond the followers: mentioned actors, the replied-to author, the group."""
    inboxes = [a.delivery_inbox for a in mentioned if not a.is_local and not a.is_gone]
    if post.visibility != MENTIONED and parent_author is not None and not parent_author.is_local:
        inboxes.append(parent_author.delivery_inbox)
    if audience is not None and not audience.is_local:
        inboxes.append(audience.delivery_inbox)
    return inboxes


async def _notify_locals(
    session: AsyncSession,
    post: Post,
    author: Actor,
    mentioned: Sequence[Actor],
    parent_author: Actor | None,
) -> None:
    mentioned_ids = {a.id for a in mentioned}
    replied_to = None
    if (
        parent_author is not None
        and parent_author.is_local
        and (post.visibility != MENTIONED or parent_author.id in mentioned_ids)
    ):
        replied_to = parent_author.id
        await notify(session, parent_author.id, "reply", author.id, post.id)
    for actor in mentioned:
        if actor.is_local and actor.id != replied_to:
            await notify(session, actor.id, "mention", author.id, post.id)
    await notify_collectives(session, post)


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
    mentions: Mapping[str, Actor] | None = None,
    attachments: Sequence[Media] = (),
) -> Post:
    """Write a local post and its ``Create``, queued for every follower's inbox.

    Mentions are linked and tagged (``mentions`` adds actors resolved beforehand by WebFinger),
    hashtags too; a mentioned-only post goes to the mentioned actors alone. A reply goes to the
    author of the post it answers as well, and tells them if they are one of ours.
    """
    await ensure_may_post(session, audience, author)
    uri = uris.new_post()
    rendered = await render_post(session, uris, author, markdown, mentions)
    parent = await _parent(session, in_reply_to)
    parent_author = parent[1] if parent is not None else None
    post = Post(
        uri=uri,
        type="Note",
        actor_id=author.id,
        audience_id=audience.id if audience else None,
        is_local=True,
        url=uri,
        source=markdown,
        content_html=rendered.html,
        summary=summary or None,
        is_sensitive=bool(summary),
        language=language,
        visibility=visibility,
        in_reply_to_uri=in_reply_to,
        published=utcnow(),
        document=_extras(
            uris,
            rendered,
            [build_attachment(m, uris.base) for m in attachments],
            parent_author if parent_author is not None and parent_author.id != author.id else None,
        ),
    )
    session.add(post)
    await session.flush()
    await replace_post_tags(session, post.id, rendered.hashtags)
    await replace_post_mentions(session, post.id, [a.id for a in rendered.mentioned])
    await attach_media(session, post.id, attachments)
    note = build_note(post, author, audience, with_context=False)
    to, cc = note_addressing(post, author, audience)
    extra = list(inboxes or [])
    extra += _recipient_inboxes(post, rendered.mentioned, audience, parent_author)
    sent = await enqueue_activity(
        session,
        author,
        build_activity(uris, "Create", author, note, to, cc),
        to_followers=visibility != MENTIONED,
        inboxes=extra,
    )
    await redistribute_local(session, uris, audience, sent)
    await _notify_locals(session, post, author, rendered.mentioned, parent_author)
    return post


async def edit_note(
    session: AsyncSession,
    uris: Uris,
    author: Actor,
    post: Post,
    markdown: str,
    *,
    summary: str | EllipsisType | None = ...,
    mentions: Mapping[str, Actor] | None = None,
) -> Post:
    """Change a local post's text (and content warning, when given); send its ``Update``."""
    rendered = await render_post(session, uris, author, markdown, mentions)
    parent = await _parent(session, post.in_reply_to_uri)
    parent_author = parent[1] if parent is not None else None
    previous = post.document if isinstance(post.document, dict) else {}
    post.source = markdown
    post.content_html = rendered.html
    if not isinstance(summary, EllipsisType):
        post.summary = summary or None
        post.is_sensitive = bool(summary)
    post.document = _extras(
        uris,
        rendered,
        list(previous.get("attachment") or []),
        parent_author if parent_author is not None and parent_author.id != author.id else None,
    )
    post.updated = utcnow()
    await session.flush()
    await replace_post_tags(session, post.id, rendered.hashtags)
    await replace_post_mentions(session, post.id, [a.id for a in rendered.mentioned])
    audience = await session.get(Actor, post.audience_id) if post.audience_id else None
    note = build_note(post, author, audience, with_context=False)
    to, cc = note_addressing(post, author, audience)
    sent = await enqueue_activity(
        session,
        author,
        build_activity(uris, "Update", author, note, to, cc),
        to_followers=post.visibility != MENTIONED,
        inboxes=_recipient_inboxes(post, rendered.mentioned, audience, parent_author),
    )
    await redistribute_local(session, uris, audience, sent)
    return post


async def delete_note(session: AsyncSession, uris: Uris, author: Actor, post: Post) -> Post:
    """Keep the row as a tombstone and tell everyone who had the post."""
    audience = await session.get(Actor, post.audience_id) if post.audience_id else None
    to, cc = note_addressing(post, author, audience)
    mentioned = (
        await session.scalars(
            select(Actor).where(Actor.uri.in_(to + cc), Actor.is_local.is_(False))
        )
    ).all()
    parent = await _parent(session, post.in_reply_to_uri)
    post.deleted_at = utcnow()
    post.content_html = ""
    post.source = None
    await session.flush()
    tombstone = build_tombstone(post)
    sent = await enqueue_activity(
        session,
        author,
        build_activity(uris, "Delete", author, tombstone, to, cc),
        to_followers=post.visibility != MENTIONED,
        inboxes=_recipient_inboxes(
            post, mentioned, audience, parent[1] if parent is not None else None
        ),
    )
    await redistribute_local(session, uris, audience, sent)
    return post


__all__ = ["RenderedPost", "addressing", "delete_note", "edit_note", "publish_note", "render_post"]
