"""A resident's profile: name, bio, avatar and header image, and the ``Update`` that tells
the servers that know them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from actors.documents import build_actor
from commons.markdown import render_markdown
from commons.media import MediaError, media_path, store_image
from config.errors import ErrorCode
from config.settings import Settings
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import (
    Activity,
    Actor,
    Media,
    utcnow,
)

ImageSlot = Literal["avatar", "header"]
MAX_DISPLAY_NAME = 100
MAX_BIO = 5000


@dataclass(frozen=True, slots=True)
class ImageChange:
    """What the form says about one image: a new file, a new description, or removal."""

    data: bytes | None = None
    alt: str = ""
    remove: bool = False


@dataclass(frozen=True, slots=True)
class ProfileChange:
    name: str
    bio: str
    manually_approves_followers: bool
    avatar: ImageChange = ImageChange()
    header: ImageChange = ImageChange()


async def update_profile(
    session: AsyncSession, settings: Settings, actor: Actor, change: ProfileChange
) -> Activity:
    """Apply the change and queue an ``Update`` of the actor to its followers.

    Raises ProfileImageError (a MediaError code, for the avatar or the header).
    """
    actor.name = change.name.strip()[:MAX_DISPLAY_NAME] or actor.username
    actor.summary_source = change.bio
    actor.summary = render_markdown(change.bio) if change.bio.strip() else ""
    actor.manually_approves_followers = change.manually_approves_followers
    await _apply_image(session, settings, actor, "avatar", change.avatar)
    await _apply_image(session, settings, actor, "header", change.header)
    actor.updated_at = utcnow()
    await session.flush()
    return await enqueue_actor_update(session, settings, actor)


async def _apply_image(
    session: AsyncSession, settings: Settings, actor: Actor, slot: ImageSlot, image: ImageChange
) -> None:
    url_field, alt_field = (
        ("icon_url", "icon_alt") if slot == "avatar" else ("header_url", "header_alt")
    )
    previous: str | None = getattr(actor, url_field)
    if image.remove:
        setattr(actor, url_field, None)
        setattr(actor, alt_field, None)
        await _forget_image(session, settings, actor, previous)
        return
    if image.data:
        try:
            media = await store_image(session, actor, image.data, image.alt)
        except MediaError as error:
            about_alt = error.code in (ErrorCode.MISSING_ALT, ErrorCode.ALT_TOO_LONG)
            raise MediaError(error.code, f"{slot}_alt" if about_alt else slot) from None
        setattr(actor, url_field, settings.base_url + media_path(media))
        setattr(actor, alt_field, media.alt_text)
        await _forget_image(session, settings, actor, previous)
    elif getattr(actor, url_field):
        alt = image.alt.strip()
        if not alt:
            raise MediaError(ErrorCode.MISSING_ALT, f"{slot}_alt")
        setattr(actor, alt_field, alt[:1000])


async def _forget_image(
    session: AsyncSession, settings: Settings, actor: Actor, url: str | None
) -> None:
    """Delete a replaced or removed profile image of ours (not one a post still shows)."""
    prefix = f"{settings.base_url}/media/"
    if not url or not url.startswith(prefix):
        return
    key = url[len(prefix) :].rpartition(".")[0]
    await session.execute(
        delete(Media).where(Media.key == key, Media.owner_id == actor.id, Media.post_id.is_(None))
    )


async def enqueue_actor_update(session: AsyncSession, settings: Settings, actor: Actor) -> Activity:
    uris = Uris(settings.base_url)
    document = build_actor(actor, settings)
    followers = actor.followers_uri or f"{actor.uri}/followers"
    activity = build_activity(uris, "Update", actor, document, [PUBLIC], [followers])
    return await enqueue_activity(session, actor, activity)
