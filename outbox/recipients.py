"""Who receives an activity: remote inboxes, shared ones preferred, each once."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.blocks import is_blocked_host
from storage.models import Actor, DomainBlock, Follow
from storage.models.follows import ACCEPTED


async def follower_inboxes(session: AsyncSession, actor_id: int) -> list[str]:
    """The delivery inbox of every remote, accepted, not-gone follower of ``actor_id``."""
    rows = await session.execute(
        select(Actor.shared_inbox_uri, Actor.inbox_uri)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(
            Follow.followed_id == actor_id,
            Follow.state == ACCEPTED,
            Actor.is_local.is_(False),
            Actor.is_gone.is_(False),
        )
    )
    return [shared or inbox for shared, inbox in rows]


def actor_inboxes(actors: Iterable[Actor]) -> list[str]:
    return [actor.delivery_inbox for actor in actors if not actor.is_local and not actor.is_gone]


def host_of_inbox(inbox_uri: str) -> str:
    return (urlsplit(inbox_uri).hostname or "").lower()


def authority_of_inbox(inbox_uri: str) -> str:
    """Host and port, as written: two servers on one host name are two delivery hosts."""
    return urlsplit(inbox_uri).netloc.rpartition("@")[2].lower()


async def deliverable(session: AsyncSession, inboxes: Iterable[str]) -> list[tuple[str, str]]:
    """``(inbox, authority)`` pairs without duplicates and without blocked domains."""
    unique = list(dict.fromkeys(inbox for inbox in inboxes if inbox))
    blocked = frozenset((await session.scalars(select(DomainBlock.domain))).all())
    pairs: list[tuple[str, str]] = []
    for inbox in unique:
        host = host_of_inbox(inbox)
        if host and not is_blocked_host(host, blocked):
            pairs.append((inbox, authority_of_inbox(inbox)))
    return pairs
