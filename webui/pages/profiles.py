"""The profile page of a resident or a collective: who they are and what they published."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from actors.documents import webfinger_handle
from actors.groups import load_group_profile
from commons.agenda.queries import AgendaQuery
from commons.agenda.upcoming import upcoming_events
from instance.runtime import instance_of
from storage.models import Actor, Follow, Post
from storage.models.posts import PUBLIC
from webui.pages.event_cards import event_card
from webui.render import render
from webui.routes import kind_labels
from webui.session import current_viewer

PROFILE_POSTS = 20
PROFILE_EVENTS = 4


async def latest_posts(session: AsyncSession, actor: Actor) -> list[tuple[Post, Actor]]:
    """Public local posts by the actor or, for a collective, its posts (remote members' too)."""
    rows = await session.execute(
        select(Post, Actor)
        .join(Actor, Post.actor_id == Actor.id)
        .where(
            or_(
                Post.actor_id == actor.id,
                Post.audience_id == actor.id,
            ),
            or_(Post.is_local.is_(True), Post.audience_id == actor.id),
            Post.visibility == PUBLIC,
            Post.deleted_at.is_(None),
        )
        .order_by(Post.published.desc(), Post.id.desc())
        .limit(PROFILE_POSTS)
    )
    return list(rows.all())


async def profile_page(request: Request, session: AsyncSession, actor: Actor) -> Response:
    """The page people see at an actor's address (410 once the account is deleted)."""
    instance = instance_of(request)
    posts = [] if actor.is_gone else await latest_posts(session, actor)
    viewer = await current_viewer(request)
    group_profile = (
        await load_group_profile(session, actor, viewer.actor if viewer else None)
        if actor.is_group and not actor.is_gone
        else None
    )
    upcoming = (
        await upcoming_events(
            session, AgendaQuery(actor_id=actor.id), datetime.now(UTC), limit=PROFILE_EVENTS
        )
        if not actor.is_gone
        else []
    )
    follow_state = None
    if viewer is not None and viewer.actor.id != actor.id and not actor.is_gone:
        follow_state = await session.scalar(
            select(Follow.state).where(
                Follow.follower_id == viewer.actor.id, Follow.followed_id == actor.id
            )
        )
    context = {
        "event_cards": [event_card(entry) for entry in upcoming],
        "may_follow": viewer is not None
        and viewer.actor.id != actor.id
        and actor.type != "Application"
        and follow_state is None,
        "follow_state": follow_state,
        "actor": actor,
        "handle": webfinger_handle(actor, instance.settings),
        "posts": posts,
        "kind_labels": kind_labels(),
        "is_gone": actor.is_gone,
        "group_profile": group_profile,
    }
    return render(request, "profile.html", context, 410 if actor.is_gone else 200)
