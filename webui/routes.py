"""The pages people read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors.queries import home_collectives
from commons.agenda.queries import AgendaQuery
from commons.agenda.upcoming import upcoming_events
from commons.posts.timelines import local_timeline
from instance.runtime import instance_of
from webui import i18n
from webui.pages.events.event_cards import event_card
from webui.render import render

LANG_COOKIE = "lang"
PREVIEW_SIZE = 10
UPCOMING_SIZE = 5


def kind_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {"project": _("Project"), "space": _("Shared space"), "assembly": _("Assembly")}


async def index(request: Request) -> Response:
    instance = instance_of(request)
    async with instance.database.session() as session:
        collectives = await home_collectives(session)
        viewer = getattr(request.state, "viewer", None)
        page = await local_timeline(
            session,
            viewer.actor.id if viewer else None,
            instance.settings.base_url,
            limit=PREVIEW_SIZE,
        )
        upcoming = await upcoming_events(
            session, AgendaQuery(local_only=True), datetime.now(UTC), limit=UPCOMING_SIZE
        )
    context: dict[str, Any] = {
        "event_cards": [event_card(entry) for entry in upcoming],
        "collectives": collectives,
        "cards": page.cards,
        "kind_labels": kind_labels(),
    }
    return render(request, "index.html", context)


async def switch_language(request: Request) -> Response:
    language = request.path_params["language"]
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if i18n.is_available(language):
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax")
    return response


routes = [
    Route("/", index, name="index"),
    Route("/lang/{language}", switch_language, name="switch_language"),
]
