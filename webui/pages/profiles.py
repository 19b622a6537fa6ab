"""The profile page of a resident or a collective: who they are and what they published."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from actors.documents import webfinger_handle
from actors.groups import load_group_profile
from actors.queries import follow_state as actor_follow_state
from commons.agenda.queries import AgendaQuery
from commons.agenda.upcoming import upcoming_events
from commons.offers.booking import availability_now
from commons.offers.queries import MarketFilter, market_offers
from commons.posts.queries import latest_posts
from commons.shares.queries import shared_by
from instance.runtime import instance_of
from storage.models import utcnow
from webui.pages.events.event_cards import event_card
from webui.pages.offers.offers import offer_view
from webui.render import render
from webui.routes import kind_labels
from webui.session import current_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor

PROFILE_POSTS = 20
PROFILE_EVENTS = 4
PROFILE_OFFERS = 6


async def profile_page(request: Request, session: AsyncSession, actor: Actor) -> Response:
    """The page people see at an actor's address (410 once the account is deleted)."""
    instance = instance_of(request)
    posts = [] if actor.is_gone else await latest_posts(session, actor.id, limit=PROFILE_POSTS)
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
    offer_cards = (
        await market_offers(session, MarketFilter(author_id=actor.id), limit=PROFILE_OFFERS)
        if not actor.is_gone
        else []
    )
    free = await availability_now(session, [card.offer.id for card in offer_cards], utcnow())
    shared = await shared_by(session, actor) if actor.is_group and not actor.is_gone else []
    follow_state = None
    if viewer is not None and viewer.actor.id != actor.id and not actor.is_gone:
        follow_state = await actor_follow_state(session, viewer.actor.id, actor.id)
    context = {
        "event_cards": [event_card(entry) for entry in upcoming],
        "offer_cards": [
            {**offer_view(card.offer, card.author), "free_now": free.get(card.offer.id)}
            for card in offer_cards
        ],
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
        "shared": shared,
    }
    return render(request, "profile.html", context, 410 if actor.is_gone else 200)
