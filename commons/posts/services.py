"""Publishing, editing and deleting posts: the services the web UI, the API and the demo share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.groups import ensure_may_post
from commons.markdown import render_markdown, sanitize_html
from commons.posts.addressing import (
    Addressing,
    addressing_for,
    named_actors,
    replace_post_recipients,
    visibility_of,
)
from commons.posts.attachments import (
    attach_media,
    attachments_of,
    build_attachment,
    store_remote_attachments,
)
from commons.posts.delivery import addressing_of, notify_named, send_post_activity
from commons.posts.hashtags import build_hashtag, link_hashtags, replace_post_tags
from commons.posts.mentions import (
    build_mention,
    known_mentions,
    link_mentions,
    replace_post_mentions,
)
from commons.posts.wire import addressing, build_note, build_tombstone
from config.uris import Uris
from federation.parsing import ParsedAttachment
from storage.among import among
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


@dataclass(frozen=True, slots=True)
class PostDraft:
    """What a post says, ready to store: sanitized HTML with its tags, and its Markdown source
    when it was written in Markdown."""

    content_html: str
    hashtags: list[str] = field(default_factory=list)
    mentioned: list[Actor] = field(default_factory=list)
    source: str | None = None
    type: str = "Note"
    name: str | None = None
    summary: str | None = None
    language: str | None = "fr"

    @classmethod
    def of(cls, rendered: RenderedPost, markdown: str, **fields: Any) -> PostDraft:
        return cls(rendered.html, rendered.hashtags, rendered.mentioned, markdown, **fields)


def _tags(uris: Uris, draft: PostDraft) -> list[dict[str, Any]]:
    return [build_mention(a) for a in draft.mentioned] + [
        build_hashtag(t, uris.base) for t in draft.hashtags
    ]


async def _apply_draft(
    session: AsyncSession, uris: Uris, post: Post, draft: PostDraft, extras: dict[str, Any]
) -> None:
    post.type = draft.type
    post.content_html = draft.content_html
    post.source = draft.source
    post.summary = draft.summary or None
    post.is_sensitive = bool(draft.summary)
    post.language = draft.language
    post.name = draft.name or None
    extras["tag"] = _tags(uris, draft)
    post.document = dict(extras)
    await session.flush()
    await replace_post_tags(session, post.id, draft.hashtags)
    await replace_post_mentions(session, post.id, [a.id for a in draft.mentioned])


async def _set_attachments(
    session: AsyncSession,
    uris: Uris,
    post: Post,
    media: Sequence[Media],
    linked: Sequence[ParsedAttachment] | None,
) -> None:
    """Uploaded files (``media``) and files a client links to by URL (``linked``; None keeps
    the linked ones there are)."""
    await attach_media(session, post.id, media)
    if linked is not None:
        await store_remote_attachments(session, post.id, post.actor_id, linked)
    rows = (await attachments_of(session, [post.id])).get(post.id, [])
    extras = dict(post.document or {})
    extras["attachment"] = [build_attachment(m, uris.base) for m in rows]
    if not extras["attachment"]:
        extras.pop("attachment")
    post.document = extras
    await session.flush()


async def publish_post(
    session: AsyncSession,
    uris: Uris,
    author: Actor,
    draft: PostDraft,
    *,
    addressing: Addressing | None = None,
    visibility: str = PUBLIC,
    audience: Actor | None = None,
    in_reply_to: str | None = None,
    inboxes: Sequence[str] = (),
    attachments: Sequence[Media] = (),
    linked_attachments: Sequence[ParsedAttachment] = (),
) -> Post:
    """Write a local post and queue its ``Create`` for everyone its addressing names.

    ``addressing`` is the client's; without it, ``visibility`` fills it the web UI's way
    (:func:`commons.posts.addressing.addressing_for`). ``inboxes`` are reached besides.
    """
    await ensure_may_post(session, audience, author)
    parent = await _parent(session, in_reply_to)
    parent_author = parent[1] if parent is not None else None
    if addressing is None:
        addressing = addressing_for(visibility, author, audience, draft.mentioned, parent_author)
    uri = uris.new_post()
    post = Post(
        uri=uri,
        actor_id=author.id,
        audience_id=audience.id if audience else None,
        is_local=True,
        url=uri,
        visibility=visibility_of(addressing, author),
        in_reply_to_uri=in_reply_to,
        published=utcnow(),
    )
    session.add(post)
    await session.flush()
    await _apply_draft(session, uris, post, draft, {"addressing": addressing.as_document()})
    await _set_attachments(session, uris, post, attachments, linked_attachments)
    named = await named_actors(session, addressing, author)
    await replace_post_recipients(session, post.id, [a.id for a in named])
    note = build_note(post, author, audience, with_context=False)
    await send_post_activity(
        session, uris, author, "Create", note, addressing, named, audience, inboxes=inboxes
    )
    await notify_named(session, post, author, named, parent_author, audience)
    return post


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
    """A post written in Markdown (the web UI, events, the demo): mentions are linked and tagged
    (``mentions`` adds actors resolved beforehand by WebFinger), hashtags too."""
    rendered = await render_post(session, uris, author, markdown, mentions)
    draft = PostDraft.of(rendered, markdown, summary=summary, language=language)
    return await publish_post(
        session,
        uris,
        author,
        draft,
        visibility=visibility,
        audience=audience,
        in_reply_to=in_reply_to,
        inboxes=inboxes or (),
        attachments=attachments,
    )


@dataclass(frozen=True, slots=True)
class PostChanges:
    """What an edit replaces (ActivityPub §6.3.1): ``...`` keeps a property, ``None`` removes it.

    ``content`` replaces the text with its tags; ``linked_attachments`` the files linked by URL
    (uploaded ones stay); ``addressing`` adds recipients (an edit never takes readers away)."""

    content: PostDraft | EllipsisType = ...
    summary: str | EllipsisType | None = ...
    name: str | EllipsisType | None = ...
    linked_attachments: Sequence[ParsedAttachment] | EllipsisType | None = ...
    added_recipients: Sequence[Actor] = ()


def _changed_draft(post: Post, changes: PostChanges, current: PostDraft) -> PostDraft:
    draft = current if isinstance(changes.content, EllipsisType) else changes.content
    summary = current.summary if isinstance(changes.summary, EllipsisType) else changes.summary
    name = current.name if isinstance(changes.name, EllipsisType) else changes.name
    return PostDraft(
        draft.content_html,
        draft.hashtags,
        draft.mentioned,
        draft.source,
        post.type,
        name,
        summary,
        draft.language if draft is not current else post.language,
    )


async def _current_draft(session: AsyncSession, post: Post) -> PostDraft:
    extras = post.document if isinstance(post.document, dict) else {}
    tags = [t for t in extras.get("tag") or [] if isinstance(t, dict)]
    mentioned_uris = [t["href"] for t in tags if t.get("type") == "Mention" and t.get("href")]
    mentioned = (
        list(await session.scalars(select(Actor).where(among(Actor.uri, mentioned_uris))))
        if mentioned_uris
        else []
    )
    hashtags = [
        str(t["name"]).lstrip("#") for t in tags if t.get("type") == "Hashtag" and t.get("name")
    ]
    return PostDraft(
        post.content_html,
        hashtags,
        mentioned,
        post.source,
        post.type,
        post.name,
        post.summary,
        post.language,
    )


async def edit_post(
    session: AsyncSession, uris: Uris, author: Actor, post: Post, changes: PostChanges
) -> Post:
    """Change a local post as asked and send its ``Update`` to the people it was sent to."""
    audience = await session.get(Actor, post.audience_id) if post.audience_id else None
    addressing = addressing_of(post, author, audience)
    if changes.added_recipients:
        new = [a.uri for a in changes.added_recipients if a.id != author.id]
        addressing = (
            addressing.adding(to=new) if post.visibility == MENTIONED else addressing.adding(cc=new)
        )
    draft = _changed_draft(post, changes, await _current_draft(session, post))
    extras = dict(post.document or {}) if isinstance(post.document, dict) else {}
    extras["addressing"] = addressing.as_document()
    await _apply_draft(session, uris, post, draft, extras)
    if not isinstance(changes.linked_attachments, EllipsisType):
        await _set_attachments(session, uris, post, (), changes.linked_attachments or ())
    post.updated = utcnow()
    await session.flush()
    named = await named_actors(session, addressing, author)
    await replace_post_recipients(session, post.id, [a.id for a in named])
    note = build_note(post, author, audience, with_context=False)
    await send_post_activity(session, uris, author, "Update", note, addressing, named, audience)
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
    """Change a local post's Markdown text (and content warning, when given); the newly
    mentioned are added to its recipients, as the web UI addressed them."""
    rendered = await render_post(session, uris, author, markdown, mentions)
    draft = PostDraft.of(rendered, markdown, language=post.language)
    return await edit_post(
        session,
        uris,
        author,
        post,
        PostChanges(content=draft, summary=summary, added_recipients=rendered.mentioned),
    )


async def delete_note(session: AsyncSession, uris: Uris, author: Actor, post: Post) -> Post:
    """Keep the row as a tombstone and tell everyone who had the post."""
    audience = await session.get(Actor, post.audience_id) if post.audience_id else None
    addressing = addressing_of(post, author, audience)
    named = await named_actors(session, addressing, author)
    post.deleted_at = utcnow()
    post.content_html = ""
    post.source = None
    await session.flush()
    tombstone = build_tombstone(post)
    await send_post_activity(
        session, uris, author, "Delete", tombstone, addressing, named, audience
    )
    return post


__all__ = [
    "PostChanges",
    "PostDraft",
    "RenderedPost",
    "addressing",
    "delete_note",
    "edit_note",
    "edit_post",
    "publish_note",
    "publish_post",
    "render_post",
]
