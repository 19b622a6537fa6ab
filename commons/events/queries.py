"""Reads about events for the pages: one event and its organiser, its comments, who takes part,
the dates a resident joined.

Each function takes an open session and returns rows; none of them writes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Actor, Event, Post, Rsvp
from storage.models.events import RSVP_ACCEPTED
from storage.models.posts import PUBLIC

COMMENTS_SHOWN = 200


async def event_by_id(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def event_by_uri(session: AsyncSession, uri: str) -> Event | None:
    return await session.scalar(select(Event).where(Event.uri == uri))


async def live_event_by_uri(session: AsyncSession, uri: str) -> tuple[Event, Actor] | None:
    """The event at ``uri`` and its organiser, unless it is deleted."""
    row = (
        await session.execute(
            select(Event, Actor)
            .join(Actor, Actor.id == Event.actor_id)
            .where(Event.uri == uri, Event.deleted_at.is_(None))
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def event_comments(session: AsyncSession, event_uri: str) -> list[tuple[Post, Actor]]:
    """The public comments on an event and their authors, oldest first."""
    rows = await session.execute(
        select(Post, Actor)
        .join(Actor, Actor.id == Post.actor_id)
        .where(
            Post.in_reply_to_uri == event_uri,
            Post.deleted_at.is_(None),
            Post.visibility == PUBLIC,
        )
        .order_by(Post.published)
        .limit(COMMENTS_SHOWN)
    )
    return [(post, author) for post, author in rows]


async def answers_to(session: AsyncSession, event_id: int) -> list[tuple[Rsvp, Actor]]:
    """Every answer to an event (any state, any date) and who gave it, in the order given."""
    rows = await session.execute(
        select(Rsvp, Actor)
        .join(Actor, Actor.id == Rsvp.actor_id)
        .where(Rsvp.event_id == event_id)
        .order_by(Rsvp.created_at, Rsvp.id)
    )
    return [(rsvp, person) for rsvp, person in rows]


async def accepted_by(
    session: AsyncSession, actor_id: int, limit: int
) -> list[tuple[Event, Actor, datetime | None]]:
    """The live events the actor takes part in, their organisers and the date taken (None for
    the whole of it), by start."""
    rows = await session.execute(
        select(Event, Actor, Rsvp.occurrence)
        .join(Rsvp, Rsvp.event_id == Event.id)
        .join(Actor, Actor.id == Event.actor_id)
        .where(
            Rsvp.actor_id == actor_id,
            Rsvp.state == RSVP_ACCEPTED,
            Event.deleted_at.is_(None),
        )
        .order_by(Event.start_time)
        .limit(limit)
    )
    return [(event, actor, occurrence) for event, actor, occurrence in rows]
