"""The map of upcoming events and shared spaces: useful without JavaScript or tiles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from actors.queries import located_collectives
from commons.agenda import queries as agenda
from commons.agenda.feeds import location_text
from commons.agenda.queries import AgendaQuery
from instance.runtime import instance_of
from webui import i18n
from webui.formats import format_full_moment, sentence_start
from webui.leaflet import leaflet_installed
from webui.pages.agenda.agenda import _now, _zone
from webui.pages.agenda.feeds import _occurrence_url
from webui.place_picker import zoom_titles
from webui.render import render
from webui.script_json import script_json

MAP_AHEAD = timedelta(days=60)
MAP_LIMIT = 300


def osm_url(latitude: float, longitude: float) -> str:
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


async def map_page(request: Request) -> Response:
    instance = instance_of(request)
    settings = instance.settings
    zone, now = _zone(request), _now()
    async with instance.database.session() as session:
        pairs = await agenda.feed_events(
            session, AgendaQuery(located=True), after=now, before=now + MAP_AHEAD, limit=MAP_LIMIT
        )
        spaces = await located_collectives(session, MAP_LIMIT)
        next_dates = await agenda.first_dates(
            session, [event for event, _ in pairs], now, now + MAP_AHEAD
        )
    events: list[dict[str, Any]] = []
    for event, actor in pairs:
        upcoming = next_dates.get(event.id)
        if upcoming is None or event.latitude is None or event.longitude is None:
            continue
        events.append(
            {
                "kind": "event",
                "name": event.title,
                "lat": event.latitude,
                "lon": event.longitude,
                "url": _occurrence_url(settings.base_url, event, upcoming.start),
                "address": location_text(event),
                "when": sentence_start(format_full_moment(upcoming.start, zone)),
                "cancelled": event.status == "cancelled",
                "organiser": actor.name or actor.username,
                "osm": osm_url(event.latitude, event.longitude),
            }
        )
    places = [
        {
            "kind": "space",
            "name": space.name or space.username,
            "lat": space.latitude,
            "lon": space.longitude,
            "url": agenda.web_url(space.url, space.uri),
            "address": ", ".join(
                part
                for part in (
                    space.place_name,
                    space.street_address,
                    " ".join(p for p in (space.postal_code, space.locality) if p),
                )
                if part
            ),
            "hours": space.opening_hours or "",
            "osm": osm_url(space.latitude or 0.0, space.longitude or 0.0),
        }
        for space in spaces
    ]
    data = {
        "tiles": settings.webui.map_tiles_url,
        "attribution": settings.webui.map_attribution,
        **zoom_titles(),
        "places": places,
        "events": events,
    }
    context = {
        "title": i18n.gettext("Map of the neighbourhood"),
        "places": places,
        "events": events,
        "map_json": script_json(data),
        "leaflet": leaflet_installed(request),
        "feeds": {"ics": "/agenda/city.ics", "atom": "/agenda/city.atom"},
    }
    return render(request, "agenda/map.html", context)


routes: list[BaseRoute] = [Route("/map", map_page, name="map")]
