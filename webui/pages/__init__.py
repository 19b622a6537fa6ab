"""The pages of the web UI, one module per area; each module exposes ``routes``."""

from __future__ import annotations

from starlette.routing import BaseRoute

from webui.pages import (
    accounts,
    admin,
    admin_look,
    agenda,
    collectives,
    compose,
    easy_read,
    event_dates,
    events,
    map_page,
    places,
    posts,
    sessions,
    settings,
    timelines,
)

routes: list[BaseRoute] = [
    *accounts.routes,
    *settings.routes,
    *sessions.routes,
    *admin.routes,
    *admin_look.routes,
    *collectives.routes,
    *compose.routes,
    *easy_read.routes,
    *posts.routes,
    *timelines.routes,
    *events.routes,
    *event_dates.routes,
    *agenda.routes,
    *map_page.routes,
    *places.routes,
]
