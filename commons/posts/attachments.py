"""Attachments of posts: ours (uploaded images, with required alt text) and remote ones (URL
and description only: images, sounds, videos and other files)."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from commons.media import MAX_ALT_TEXT, media_path
from federation.media_links import kind_of_attachment
from federation.parsing import ParsedAttachment
from storage.models import Media

MAX_ATTACHMENTS = 4
MAX_REMOTE_ATTACHMENTS = 8
_LISTED = (
    Media.id,
    Media.key,
    Media.post_id,
    Media.content_type,
    Media.width,
    Media.height,
    Media.alt_text,
    Media.remote_url,
)


def media_url(media: Media, base_url: str) -> str:
    return media.remote_url or base_url + media_path(media)


def is_image(media: Media) -> bool:
    return media.content_type.startswith("image/")


def player_of(media: Media) -> str | None:
    """``audio`` or ``video`` when a page can play the attachment in place."""
    main = media.content_type.split("/", 1)[0]
    return main if main in ("audio", "video") else None


def build_attachment(media: Media, base_url: str) -> dict[str, Any]:
    """An attachment as Mastodon reads it: the alt text is the ``name``."""
    document: dict[str, Any] = {
        "type": "Image" if is_image(media) else "Document",
        "mediaType": media.content_type,
        "url": media_url(media, base_url),
        "name": media.alt_text,
    }
    if media.width and media.height:
        document["width"] = media.width
        document["height"] = media.height
    return document


async def attach_media(session: AsyncSession, post_id: int, media: Sequence[Media]) -> None:
    for item in media:
        item.post_id = post_id
    await session.flush()


def remote_media_rows(
    post_id: int, owner_id: int, attachments: Iterable[ParsedAttachment]
) -> list[dict[str, Any]]:
    """The ``media`` rows of a remote post's attachments: the web ones, at most
    ``MAX_REMOTE_ATTACHMENTS``, their URL and alt text only."""
    kept = [
        item
        for item in attachments
        if item.url and item.url.startswith(("https://", "http://")) and len(item.url) <= 2048
    ]
    return [
        {
            "key": secrets.token_urlsafe(16),
            "owner_id": owner_id,
            "post_id": post_id,
            "content_type": kind_of_attachment(item)[:64] or "application/octet-stream",
            "size": 0,
            "alt_text": (item.name or "")[:MAX_ALT_TEXT],
            "remote_url": item.url,
        }
        for item in kept[:MAX_REMOTE_ATTACHMENTS]
    ]


async def store_remote_attachments(
    session: AsyncSession,
    post_id: int,
    owner_id: int,
    attachments: Iterable[ParsedAttachment],
    *,
    new: bool = False,
) -> None:
    """Keep the URL and alt text of a remote post's attachments (never the file); ``new``:
    the post was just inserted, it has none yet to replace."""
    if not new:
        await session.execute(
            delete(Media).where(Media.post_id == post_id, Media.remote_url.is_not(None))
        )
    session.add_all(Media(**row) for row in remote_media_rows(post_id, owner_id, attachments))
    await session.flush()


async def attachments_of(session: AsyncSession, post_ids: Sequence[int]) -> dict[int, list[Media]]:
    """The attachments of several posts at once, without their bytes."""
    found: dict[int, list[Media]] = defaultdict(list)
    if not post_ids:
        return found
    rows = await session.scalars(
        select(Media)
        .options(load_only(*_LISTED))
        .where(Media.post_id.in_(post_ids))
        .order_by(Media.id)
    )
    for media in rows:
        if media.post_id is not None:
            found[media.post_id].append(media)
    return found


async def describe_kept_image(session: AsyncSession, media_id: int, alt_text: str) -> Media:
    """An image kept from a refused form, with the description given on the form sent again."""
    media = await session.get(Media, media_id)
    assert media is not None
    media.alt_text = alt_text
    return media
