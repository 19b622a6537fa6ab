"""A collective's public profile: its name, kind, description, place, hours, how people join.

One service writes it, whoever asks (the web form today, others later), and tells the
collective's followers with ``Update(Group)``, as a resident's profile change sends
``Update(Person)`` (:func:`actors.accounts.update_profile`): Mastodon, Lemmy and our own
servers refresh their copy of the actor from that activity, never by polling it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from actors import groups
from actors.accounts import enqueue_actor_update
from commons.markdown import render_markdown
from commons.media import media_path, store_image
from config.settings import Settings
from storage.models import Activity, Actor, utcnow


@dataclass(frozen=True, slots=True)
class CollectiveProfile:
    """What a facilitator fills in (already checked by the form: lengths, kind, join mode)."""

    display_name: str
    kind: str
    description: str
    join_mode: str
    members_only_posting: bool
    place_name: str = ""
    street_address: str = ""
    postal_code: str = ""
    locality: str = ""
    latitude: float | None = None
    longitude: float | None = None
    opening_hours: str = ""
    avatar: bytes | None = None
    avatar_alt: str = ""


async def apply_collective_profile(
    session: AsyncSession, settings: Settings, group: Actor, profile: CollectiveProfile
) -> None:
    """Write the profile on the row; a new avatar is stored (raises MediaError if unusable)."""
    group.name = profile.display_name
    group.group_kind = profile.kind
    group.summary_source = profile.description
    group.summary = render_markdown(profile.description) if profile.description else ""
    group.place_name = profile.place_name or None
    group.street_address = profile.street_address or None
    group.postal_code = profile.postal_code or None
    group.locality = profile.locality or None
    group.latitude = profile.latitude
    group.longitude = profile.longitude
    group.opening_hours = profile.opening_hours or None
    group.join_mode = profile.join_mode
    group.members_only_posting = profile.members_only_posting
    if profile.avatar is not None:
        media = await store_image(session, group, profile.avatar, profile.avatar_alt)
        group.icon_url = settings.base_url + media_path(media)
        group.icon_alt = media.alt_text
    elif profile.avatar_alt and group.icon_url:
        group.icon_alt = profile.avatar_alt
    group.updated_at = utcnow()
    await session.flush()


async def update_collective_profile(
    session: AsyncSession,
    settings: Settings,
    acting: Actor,
    group: Actor,
    profile: CollectiveProfile,
) -> Activity:
    """A facilitator or admin saves the profile; its followers receive ``Update(Group)``.

    Raises groups.NotAllowed for anyone else, MediaError for an unusable avatar.
    """
    if not groups.is_moderator(await groups.find_membership(session, group, acting)):
        raise groups.NotAllowed()
    await apply_collective_profile(session, settings, group, profile)
    return await enqueue_actor_update(session, settings, group)
