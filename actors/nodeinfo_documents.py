"""Our NodeInfo: usage counted from the database, metadata naming the neighbourhood.

NodeInfo has no definition of "active"; like most servers we approximate it: a resident
is active in a period when their account was created or they posted in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import config
from actors.directory import self_description
from config.settings import Settings
from federation.nodeinfo import NodeInfoVersion, build_nodeinfo
from storage.models import Actor, Post
from storage.models.actors import PERSON

SOFTWARE_NAME = "quartiers-collaboratifs"
MONTH = timedelta(days=30)
HALF_YEAR = timedelta(days=180)


@dataclass(frozen=True, slots=True)
class Usage:
    total_users: int
    active_month: int
    active_halfyear: int
    local_posts: int


async def _count_active_people(session: AsyncSession, since: datetime) -> int:
    posted = exists().where(
        Post.actor_id == Actor.id, Post.is_local.is_(True), Post.published >= since
    )
    count = await session.scalar(
        select(func.count())
        .select_from(Actor)
        .where(
            Actor.is_local.is_(True),
            Actor.type == PERSON,
            Actor.is_gone.is_(False),
            or_(Actor.created_at >= since, posted),
        )
    )
    return count or 0


async def count_usage(session: AsyncSession, now: datetime) -> Usage:
    total = await session.scalar(
        select(func.count())
        .select_from(Actor)
        .where(Actor.is_local.is_(True), Actor.type == PERSON, Actor.is_gone.is_(False))
    )
    posts = await session.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.is_local.is_(True), Post.deleted_at.is_(None))
    )
    return Usage(
        total_users=total or 0,
        active_month=await _count_active_people(session, now - MONTH),
        active_halfyear=await _count_active_people(session, now - HALF_YEAR),
        local_posts=posts or 0,
    )


def build_local_nodeinfo(
    version: NodeInfoVersion, settings: Settings, usage: Usage
) -> dict[str, Any]:
    return build_nodeinfo(
        version,
        software_name=SOFTWARE_NAME,
        software_version=config.__version__,
        repository=None,
        homepage=None,
        total_users=usage.total_users,
        active_month=usage.active_month,
        active_halfyear=usage.active_halfyear,
        local_posts=usage.local_posts,
        open_registrations=settings.webui.registration == "open",
        metadata=self_description(settings),
    )
