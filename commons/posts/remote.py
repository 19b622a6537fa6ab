"""Remote posts: what we keep of a Note (or Article, Page…) received from another server.

Media objects (PeerTube's ``Video``, Funkwhale's ``Audio``, a shared ``Document`` or ``Image``)
are posts too: their title is shown like an article's, and the file they are (their ``url``
links, see :mod:`federation.media_links`) is kept as an attachment when they carry none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.markdown import sanitize_html
from commons.posts.addressing import replace_post_recipients
from commons.posts.attachments import store_remote_attachments
from commons.posts.hashtags import replace_post_tags
from commons.posts.mentions import replace_post_mentions
from federation.media_links import MEDIA_OBJECT_TYPES, parse_media_links
from federation.parsing import ParsedAttachment, ParsedObject
from federation.vocab import is_public
from storage.among import among
from storage.models import Actor, Post, utcnow
from storage.models.posts import FOLLOWERS, MENTIONED, PUBLIC

POST_TYPES = frozenset({"Note", "Article", "Page", "Question", "Event", *MEDIA_OBJECT_TYPES})
TITLED_TYPES = frozenset({"Page", "Article", "Event", *MEDIA_OBJECT_TYPES})


def visibility_of(obj: ParsedObject, author: Actor) -> str:
    addressed = [*obj.to, *obj.cc]
    if any(is_public(uri) for uri in addressed):
        return PUBLIC
    if author.followers_uri and author.followers_uri in addressed:
        return FOLLOWERS
    return MENTIONED


def _language_and_content(obj: ParsedObject) -> tuple[str | None, str]:
    if obj.content:
        language = next(iter(obj.content_map), None) if obj.content_map else None
        return language, obj.content
    for language in ("fr", "en"):
        if language in obj.content_map:
            return language, obj.content_map[language]
    if obj.content_map:
        language, content = next(iter(obj.content_map.items()))
        return language, content
    return None, ""


def remote_post_columns(obj: ParsedObject, author: Actor) -> dict[str, Any]:
    """What a remote post's row says of ``obj`` (all but its id, author, audience and dates);
    its HTML is sanitized here, before it is stored."""
    language, content = _language_and_content(obj)
    body = content
    if obj.type in TITLED_TYPES and obj.name:
        body = f"<p><strong>{sanitize_html(obj.name)}</strong></p>{content}"
    url = obj.url if obj.url and obj.url.lower().startswith(("https://", "http://")) else obj.id
    return {
        "type": obj.type,
        "url": url,
        "content_html": sanitize_html(body),
        "summary": sanitize_html(obj.summary) if obj.summary and obj.sensitive else None,
        "is_sensitive": obj.sensitive,
        "language": (language or "")[:8] or None,
        "visibility": visibility_of(obj, author),
        "in_reply_to_uri": obj.in_reply_to,
        "document": dict(obj.raw),
    }


def kept_attachments(obj: ParsedObject) -> list[ParsedAttachment]:
    """A remote post's attachments, or the file a media object is when it carries none."""
    return obj.attachments or parse_media_links(obj)


async def store_remote_post(
    session: AsyncSession,
    obj: ParsedObject,
    author: Actor,
    audience: Actor | None = None,
    *,
    new: bool = False,
) -> Post:
    """Insert or refresh a remote post; its HTML is sanitized before it is stored.

    ``new``: the caller checked, in this transaction, that no post has this id.
    """
    assert obj.id is not None
    post = None if new else await session.scalar(select(Post).where(Post.uri == obj.id))
    if post is None:
        post = Post(
            uri=obj.id, actor_id=author.id, is_local=False, published=obj.published or utcnow()
        )
        session.add(post)
    for column, value in remote_post_columns(obj, author).items():
        setattr(post, column, value)
    post.audience_id = audience.id if audience is not None else post.audience_id
    if obj.updated:
        post.updated = obj.updated
    await session.flush()
    await replace_post_tags(session, post.id, obj.hashtags, new=new)
    attachments = kept_attachments(obj)
    await store_remote_attachments(session, post.id, author.id, attachments, new=new)
    mentioned = obj.mention_uris
    known = (
        (await session.scalars(select(Actor.id).where(among(Actor.uri, mentioned)))).all()
        if mentioned
        else []
    )
    await replace_post_mentions(session, post.id, known, new=new)
    recipients = await _local_recipients(session, obj)
    await replace_post_recipients(session, post.id, recipients, new=new)
    return post


def named_uris(obj: ParsedObject) -> list[str]:
    """The ids a post is addressed to by name (its ``to`` and ``cc``, the public left out)."""
    return [uri for uri in dict.fromkeys([*obj.to, *obj.cc]) if not is_public(uri)]


async def _local_recipients(session: AsyncSession, obj: ParsedObject) -> list[int]:
    """Our residents the post is addressed to by name: they may read it, mentioned or not."""
    named = named_uris(obj)
    if not named:
        return []
    found = await session.scalars(
        select(Actor.id).where(among(Actor.uri, named), Actor.is_local.is_(True))
    )
    return list(found)
