"""The map of upcoming events, shared spaces and open offers with a place: useful without
JavaScript or tiles (each is also listed)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from actors.city_scope import neighbours_of_city
from actors.queries import located_collectives
from commons.agenda import queries as agenda
from commons.agenda.feeds import location_text
from commons.agenda.queries import AgendaQuery
from commons.offers.queries import MarketFilter, market_offers
from instance.runtime import instance_of
from webui import i18n
from webui.city_filter import chosen_quartier, quartier_choices
from webui.formats import format_full_moment, sentence_start
from webui.leaflet import leaflet_installed
from webui.pages.agenda.agenda import _now, _zone
from webui.pages.agenda.feeds import _occurrence_url
from webui.pages.offers.offers import offer_view
from webui.place_picker import zoom_titles
from webui.render import render
from webui.script_json import script_json

if TYPE_CHECKING:
    from storage.models import Actor, Offer

MAP_AHEAD = timedelta(days=60)
MAP_LIMIT = 300


def offer_point(offer: Offer, author: Actor) -> dict[str, Any]:
    """An offer or request with a place, as the map and its list show it."""
    view = offer_view(offer, author)
    assert offer.latitude is not None and offer.longitude is not None
    return {
        "kind": "offer",
        "name": offer.title,
        "lat": offer.latitude,
        "lon": offer.longitude,
        "url": view["url"],
        "address": view["place"],
        "when": f"{view['purpose']} · {view['kind']} — {view['terms']}",
        "organiser": author.name or author.username,
        "osm": osm_url(offer.latitude, offer.longitude),
    }


def osm_url(latitude: float, longitude: float) -> str:
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


async def map_page(request: Request) -> Response:
    instance = instance_of(request)
    settings = instance.settings
    zone, now = _zone(request), _now()
    quartier = chosen_quartier(request)
    async with instance.database.session() as session:
        neighbours = await neighbours_of_city(session)
        left_out = neighbours.domains(shown=False)
        pairs = await agenda.feed_events(
            session,
            AgendaQuery(located=True, left_out=left_out, quartier=quartier),
            after=now,
            before=now + MAP_AHEAD,
            limit=MAP_LIMIT,
        )
        spaces = await located_collectives(session, MAP_LIMIT, left_out=left_out, quartier=quartier)
        offer_cards = await market_offers(
            session,
            MarketFilter(located=True, left_out=left_out, quartier=quartier),
            limit=MAP_LIMIT,
        )
        next_dates = await agenda.first_dates(
            session, [event for event, _ in pairs], now, now + MAP_AHEAD
        )
        names = neighbours.names

    def organiser(actor: Actor) -> str:
        """The organiser's name, and its quartier's when it is another one."""
        name = actor.name or actor.username
        return name if actor.is_local else f"{name} · {names.of(actor.domain)}"

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
                "organiser": organiser(actor),
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
    offers = [
        {**offer_point(card.offer, card.author), "organiser": organiser(card.author)}
        for card in offer_cards
    ]
    data = {
        "tiles": settings.webui.map_tiles_url,
        "attribution": settings.webui.map_attribution,
        **zoom_titles(),
        "places": places,
        "events": events,
        "offers": offers,
    }
    context = {
        "title": i18n.gettext("Map of the neighbourhood"),
        "places": places,
        "events": events,
        "offers": offers,
        "map_json": script_json(data),
        "leaflet": leaflet_installed(request),
        "feeds": {"ics": "/agenda/city.ics", "atom": "/agenda/city.atom"},
        "quartier_choices": quartier_choices(settings, neighbours.choices),
        "chosen_quartier": quartier,
    }
    return render(request, "agenda/map.html", context)


routes: list[BaseRoute] = [Route("/map", map_page, name="map")]
