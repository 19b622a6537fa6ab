"""Who receives an activity: remote inboxes, shared ones preferred, each once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ScalarSelect, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.blocks import is_blocked_host, suspended_domains
from storage.models import Actor, Follow
from storage.models.actors import APPLICATION
from storage.models.follows import ACCEPTED

ACTORS_PER_READ = 2000


async def follower_inboxes(session: AsyncSession, actor_id: int | ScalarSelect[Any]) -> list[str]:
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


async def federated_quartier_inboxes(session: AsyncSession) -> list[str]:
    """The quartiers federated with this one (:mod:`actors.quartier_federation`): the accepted
    followers of our instance actor, to which our collectives' public activities are relayed."""
    instance_actor = (
        select(Actor.id)
        .where(Actor.is_local.is_(True), Actor.type == APPLICATION)
        .limit(1)
        .scalar_subquery()
    )
    return await follower_inboxes(session, instance_actor)


async def remote_inboxes_of(session: AsyncSession, actor_ids: Select[Any]) -> list[str]:
    """The delivery inbox of each remote actor whose id ``actor_ids`` selects, each once.

    Two reads, not a join: just after thousands of rows arrived (a petition's signatures, a
    poll's votes), PostgreSQL's statistics still say both tables are nearly empty, and a join
    planned on them compares every actor with every row (7 s for 9,000 signers). Reading the
    ids first, then the actors by primary key, costs the same whatever the statistics say.
    """
    ids = sorted({actor_id for actor_id in await session.scalars(actor_ids) if actor_id})
    inboxes: dict[str, None] = {}
    for first in range(0, len(ids), ACTORS_PER_READ):
        rows = await session.execute(
            select(Actor.shared_inbox_uri, Actor.inbox_uri).where(
                Actor.id.in_(ids[first : first + ACTORS_PER_READ]),
                Actor.is_local.is_(False),
                Actor.is_gone.is_(False),
            )
        )
        inboxes.update(dict.fromkeys(shared or inbox for shared, inbox in rows))
    return [inbox for inbox in inboxes if inbox]


def actor_inboxes(actors: Iterable[Actor]) -> list[str]:
    return [actor.delivery_inbox for actor in actors if not actor.is_local and not actor.is_gone]


def host_of_inbox(inbox_uri: str) -> str:
    return (urlsplit(inbox_uri).hostname or "").lower()


def authority_of_inbox(inbox_uri: str) -> str:
    """Host and port, as written: two servers on one host name are two delivery hosts."""
    return urlsplit(inbox_uri).netloc.rpartition("@")[2].lower()


async def deliverable(session: AsyncSession, inboxes: Iterable[str]) -> list[tuple[str, str]]:
    """``(inbox, authority)`` pairs without duplicates and without suspended domains (a limited
    domain is still delivered to)."""
    unique = list(dict.fromkeys(inbox for inbox in inboxes if inbox))
    blocked = await suspended_domains(session)
    pairs: list[tuple[str, str]] = []
    for inbox in unique:
        host = host_of_inbox(inbox)
        if host and not is_blocked_host(host, blocked):
            pairs.append((inbox, authority_of_inbox(inbox)))
    return pairs
