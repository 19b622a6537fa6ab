"""What a collective's facilitators and admins hear of: people speaking to or about it.

A collective is an actor nobody logs in as, so what would notify it goes to the people who run
it (``commons.notifications.RELAYED_TO_RUNNERS`` names the kinds): a **public** post that
mentions it, and a public reply to one of its posts, to one of its events or to one date of
them. Posts that are not public stay unannounced: their readers are chosen by their author,
and a facilitator may not be one of them. From a limited domain, only the collectives that
follow the author are told.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.date_rsvps import split_occurrence_uri
from commons.notifications import followers_among, notify
from storage.blocks import is_limited_actor
from storage.models import Actor, Event, Post, PostMention
from storage.models.actors import GROUP
from storage.models.posts import PUBLIC


async def _mentioned_collectives(session: AsyncSession, post: Post) -> list[int]:
    found = await session.scalars(
        select(Actor.id)
        .join(PostMention, PostMention.actor_id == Actor.id)
        .where(
            PostMention.post_id == post.id,
            Actor.is_local.is_(True),
            Actor.type == GROUP,
            Actor.is_gone.is_(False),
        )
        .order_by(Actor.id)
    )
    return list(found)


async def _replied_collective(session: AsyncSession, uri: str | None) -> int | None:
    """The local collective whose post, event or event date ``uri`` names, if any."""
    if not uri:
        return None
    date = split_occurrence_uri(uri)
    event_uri = date[0] if date is not None else uri
    author = await session.scalar(
        select(Event.actor_id).where(Event.uri == event_uri, Event.is_local.is_(True))
    )
    if author is None:
        author = await session.scalar(
            select(Post.actor_id).where(Post.uri == uri, Post.is_local.is_(True))
        )
    if author is None:
        return None
    group = await session.get(Actor, author)
    return group.id if group is not None and group.is_group and not group.is_gone else None


async def notify_collectives(session: AsyncSession, post: Post) -> None:
    """Tell the facilitators and admins of the collectives a public post mentions
    (``collective_mention``) or answers (``collective_reply``); a collective's own post tells
    nobody."""
    if post.visibility != PUBLIC or post.deleted_at is not None:
        return
    told: set[int] = set()
    replied = await _replied_collective(session, post.in_reply_to_uri)
    mentioned = await _mentioned_collectives(session, post)
    targets = [(group_id, "collective_mention") for group_id in mentioned]
    if replied is not None:
        targets.insert(0, (replied, "collective_reply"))
    listening: set[int] | None = None
    if targets and await is_limited_actor(session, post.actor_id):
        listening = await followers_among(session, post.actor_id)
    for group_id, kind in targets:
        if group_id in told or group_id == post.actor_id:
            continue
        if listening is not None and group_id not in listening:
            continue
        told.add(group_id)
        await notify(session, group_id, kind, post.actor_id, post.id, group_id)
