"""Pages: the home, quartier, city and hashtag timelines, notifications and search."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.follows import answer_follow_request, follow, unfollow
from actors.queries import actor_by_id, follow_by_id, follow_requests_to, followed_among
from commons.notifications import list_notifications, mark_all_read
from commons.posts.cards import link_of
from commons.posts.hashtags import is_tag, normalise_tag
from commons.posts.timelines import (
    TimelinePage,
    city_timeline,
    home_timeline,
    local_timeline,
    parse_before,
    tag_timeline,
)
from commons.search import Failure, search
from instance.runtime import instance_of
from storage.integers import parse_row_id
from storage.models.follows import ACCEPTED
from webui import i18n
from webui.csrf import read_form
from webui.pages.events.event_cards import event_card
from webui.pages.posts.posts import safe_next, visibility_options
from webui.reader_pages import kept_for_reader
from webui.render import render
from webui.session import Viewer, current_viewer, flash, require_viewer
from webui.visitor_pages import kept_for_visitors

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

PageLoader = Callable[["AsyncSession", int | None, str, int | None], Awaitable[TimelinePage]]
"""Reads one page of a timeline: (session, reader's actor id, base URL, ``before``)."""


async def _timeline_page(
    request: Request,
    viewer: Viewer | None,
    load: PageLoader,
    title: str,
    intro: str,
    empty: str,
    *,
    compose: bool = False,
) -> Response:
    """The page of a timeline: its posts, an "older posts" link, the compose box on page one."""
    instance = instance_of(request)
    before = parse_before(request.query_params.get("before"))
    async with instance.database.session() as session:
        page = await load(
            session, viewer.actor.id if viewer else None, instance.settings.base_url, before
        )
    context: dict[str, Any] = {"page": page, "title": title, "intro": intro, "empty": empty}
    context["next_url"] = (
        f"{request.url.path}?before={page.next_before}" if page.next_before is not None else None
    )
    if compose and viewer is not None and before is None:
        context.update(compose=True, visibility_options=visibility_options())
    return render(request, "timelines/timeline.html", context)


@kept_for_reader
async def home(request: Request) -> Response:
    viewer = await require_viewer(request)
    _ = i18n.gettext

    async def load(
        session: AsyncSession, reader: int | None, base_url: str, before: int | None
    ) -> TimelinePage:
        return await home_timeline(session, viewer.actor.id, base_url, before)

    return await _timeline_page(
        request,
        viewer,
        load,
        _("My feed"),
        _("Posts of the people and collectives you follow, and your own."),
        _("Nothing here yet: follow residents and collectives to see their posts."),
        compose=True,
    )


@kept_for_visitors
@kept_for_reader
async def local(request: Request) -> Response:
    _ = i18n.gettext
    return await _timeline_page(
        request,
        await current_viewer(request),
        local_timeline,
        _("Neighbourhood"),
        _("Public posts of the residents and collectives of this neighbourhood."),
        _("Nothing published yet."),
        compose=True,
    )


@kept_for_visitors
async def city(request: Request) -> Response:
    _ = i18n.gettext
    return await _timeline_page(
        request,
        await current_viewer(request),
        city_timeline,
        _("City"),
        _("Public posts of this neighbourhood and of the neighbouring ones in %(city)s.")
        % {"city": instance_of(request).settings.server.city},
        _("Nothing published yet."),
    )


async def tag(request: Request) -> Response:
    name = normalise_tag(request.path_params["tag"])
    if not is_tag(name):
        raise HTTPException(404)
    _ = i18n.gettext

    async def load(
        session: AsyncSession, reader: int | None, base_url: str, before: int | None
    ) -> TimelinePage:
        return await tag_timeline(session, name, reader, base_url, before)

    return await _timeline_page(
        request,
        await current_viewer(request),
        load,
        f"#{name}",
        _("Posts with the hashtag #%(tag)s.") % {"tag": name},
        _("No post with this hashtag yet."),
    )


async def notifications(request: Request) -> Response:
    viewer = await require_viewer(request)
    before = parse_before(request.query_params.get("before"))
    async with instance_of(request).database.session() as session:
        items = await list_notifications(session, viewer.actor.id, before=before)
        pending = await follow_requests_to(session, viewer.actor.id)
    next_url = f"/notifications?before={items[-1].notification.id}" if len(items) >= 30 else None
    context = {"items": items, "pending": pending, "next_url": next_url, "link_of": link_of}
    return render(request, "timelines/notifications.html", context)


async def read_notifications(request: Request) -> Response:
    viewer = await require_viewer(request)
    await read_form(request)
    async with instance_of(request).database.transaction() as session:
        await mark_all_read(session, viewer.actor.id)
    flash(request, i18n.gettext("All notifications are marked as read."))
    return RedirectResponse("/notifications", status_code=303)


async def answer_request(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    accept = form.get("decision") == "accept"
    instance = instance_of(request)
    _ = i18n.gettext
    async with instance.database.transaction() as session:
        row = await follow_by_id(session, request.path_params["follow_id"])
        followed = await actor_by_id(session, viewer.actor.id)
        if row is None or followed is None or row.followed_id != viewer.actor.id:
            raise HTTPException(404)
        try:
            await answer_follow_request(session, instance.uris, followed, row, accept=accept)
        except ValueError:
            raise HTTPException(404) from None
    flash(request, _("Follow request accepted.") if accept else _("Follow request declined."))
    return RedirectResponse("/notifications", status_code=303)


def failure_messages() -> dict[str, str]:
    _ = i18n.gettext
    return {
        Failure.too_short: _("Type at least two characters."),
        Failure.too_long: _("Your search is too long."),
        Failure.not_found: _("Nobody and nothing was found at this address."),
        Failure.unreachable: _("This server cannot be reached right now. Try again later."),
        Failure.unsupported: _("This address does not lead to a post or an account we can show."),
        Failure.blocked: _("This server is blocked by the neighbourhood's moderators."),
    }


async def search_page(request: Request) -> Response:
    viewer = await current_viewer(request)
    query = request.query_params.get("q", "")
    result = None
    message = None
    if query.strip():
        instance = instance_of(request)
        result = await search(
            instance.remote_actors, instance.settings, query, viewer.actor.id if viewer else None
        )
        if result.failure is not None:
            message = failure_messages()[result.failure]
    following: set[int] = set()
    if viewer is not None and result is not None and result.actors:
        async with instance_of(request).database.session() as session:
            candidates = [actor.id for actor in result.actors]
            following = await followed_among(session, viewer.actor.id, candidates)
    context = {
        "query": query,
        "result": result,
        "message": message,
        "following": following,
        "link_of": link_of,
        "event_cards": [event_card(entry) for entry in result.events] if result else [],
    }
    return render(request, "timelines/search.html", context)


async def follow_from_search(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    instance = instance_of(request)
    _ = i18n.gettext
    actor_id = parse_row_id(form.get("actor_id"))
    back = safe_next(form.get("next"), "/search")
    if actor_id is None:
        raise HTTPException(400, "actor_id is required")
    async with instance.database.transaction() as session:
        target = await actor_by_id(session, actor_id)
        follower = await actor_by_id(session, viewer.actor.id)
        if target is None or follower is None or target.is_gone or target.type == "Application":
            raise HTTPException(404)
        if target.id == follower.id:
            flash(request, _("You cannot follow yourself."), "error")
            return RedirectResponse(back, status_code=303)
        row = await follow(session, instance.uris, follower, target)
        pending = row.state != ACCEPTED
        name = target.name or target.username
    if pending:
        flash(request, _("Follow request sent to %(name)s.") % {"name": name})
    else:
        flash(request, _("You now follow %(name)s.") % {"name": name})
    return RedirectResponse(back, status_code=303)


async def unfollow_from_profile(request: Request) -> Response:
    """Stop following someone (or withdraw the request), from their profile."""
    viewer = await require_viewer(request)
    form = await read_form(request)
    instance = instance_of(request)
    actor_id = parse_row_id(form.get("actor_id"))
    back = safe_next(form.get("next"), "/search")
    if actor_id is None:
        raise HTTPException(400, "actor_id is required")
    async with instance.database.transaction() as session:
        target = await actor_by_id(session, actor_id)
        follower = await actor_by_id(session, viewer.actor.id)
        if target is None or follower is None:
            raise HTTPException(404)
        await unfollow(session, instance.uris, follower, target)
        name = target.name or target.username
    flash(request, i18n.gettext("You no longer follow %(name)s.") % {"name": name})
    return RedirectResponse(back, status_code=303)


routes: list[BaseRoute] = [
    Route("/home", home, methods=["GET"], name="home"),
    Route("/local", local, methods=["GET"], name="local"),
    Route("/city", city, methods=["GET"], name="city"),
    Route("/tags/{tag}", tag, methods=["GET"], name="tag"),
    Route("/notifications", notifications, methods=["GET"], name="notifications"),
    Route("/notifications/read", read_notifications, methods=["POST"], name="read_notifications"),
    Route(
        "/notifications/requests/{follow_id:int}",
        answer_request,
        methods=["POST"],
        name="answer_follow_request",
    ),
    Route("/search", search_page, methods=["GET"], name="search"),
    Route("/search/follow", follow_from_search, methods=["POST"], name="follow_from_search"),
    Route("/search/unfollow", unfollow_from_profile, methods=["POST"], name="unfollow"),
]
