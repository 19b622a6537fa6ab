"""Pages: an event (the whole of a series; see :mod:`event_dates` for one of its dates), and
finding it from the path, for the other event pages.

Roles are checked by the services of :mod:`commons.events` on every action; a forged form from
someone who may not organise gets 403. Every POST reads its form through ``read_form`` (CSRF).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from actors.city_scope import quartier_names
from actors.documents import webfinger_handle
from actors.queries import actor_by_id
from commons.agenda.feeds import location_text
from commons.agenda.window import web_url
from commons.events import date_rsvps
from commons.events import dates as occurrences
from commons.events import rsvps as event_rsvps
from commons.events import services as events
from commons.events.queries import event_by_id, event_by_uri, event_comments
from commons.events.recurrence import Occurrence
from commons.events.wire import DEFAULT_TIMEZONE
from instance.runtime import instance_of
from storage.models import utcnow
from storage.models.events import (
    CANCELLED,
    RSVP_WAITLIST,
)
from webui import formats
from webui.leaflet import leaflet_installed
from webui.pages.events.event_forms import (
    category_labels,
)
from webui.pages.share_panel import sharing_panel
from webui.place_picker import zoom_titles
from webui.recurrence_words import describe_rule
from webui.render import render
from webui.script_json import script_json
from webui.session import current_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor, Event

UPCOMING_SHOWN = 8


# Finding the event


async def event_at(session: AsyncSession, request: Request) -> tuple[Event, Actor]:
    params = request.path_params
    if "event_id" in params:
        event = await event_by_id(session, params["event_id"])
    else:
        uri = f"{instance_of(request).uris.base}/events/{params['event_uuid']}"
        event = await event_by_uri(session, uri)
    if event is None or event.deleted_at is not None:
        raise HTTPException(404)
    organiser = await actor_by_id(session, event.actor_id)
    assert organiser is not None
    return event, organiser


def page_url(event: Event) -> str:
    if event.is_local:
        return "/events/" + event.uri.rsplit("/", 1)[-1]
    return f"/events/remote/{event.id}"


# Reading


def when_lines(start: datetime, end: datetime | None, timezone: str) -> dict[str, str]:
    """Dates in the reader's language, in the event's zone (and Zurich's when it differs)."""
    zone = ZoneInfo(timezone)
    local = start.astimezone(zone)
    if end is None or end.astimezone(zone).date() == local.date():
        hours = formats.format_hours(start, end, zone)
    else:
        hours = formats.format_clock(start, zone) + " – " + formats.format_full_moment(end, zone)
    lines = {"day": formats.sentence_start(formats.format_day(local.date())), "hours": hours}
    if timezone != DEFAULT_TIMEZONE:
        lines["zurich"] = formats.format_clock(start, ZoneInfo(DEFAULT_TIMEZONE))
    return lines


def venue_map(request: Request, event: Event) -> Markup | None:
    """The JSON of a small map with the venue's marker (``static/map.js`` draws it), when the
    event has coordinates and Leaflet is installed; None otherwise (the link to OpenStreetMap
    stays either way)."""
    if event.latitude is None or event.longitude is None or not leaflet_installed(request):
        return None
    settings = instance_of(request).settings.webui
    point = {
        "kind": "event",
        "lat": event.latitude,
        "lon": event.longitude,
        "name": event.title,
        "url": page_url(event),
        "address": location_text(event),
    }
    data = {
        "tiles": settings.map_tiles_url,
        "attribution": settings.map_attribution,
        **zoom_titles(),
        "places": [],
        "events": [point],
    }
    return script_json(data)


def map_url(event: Event) -> str | None:
    if event.latitude is not None and event.longitude is not None:
        lat, lon = event.latitude, event.longitude
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
    query = ", ".join(p for p in (event.street_address, event.postal_code, event.locality) if p)
    if query:
        return "https://www.openstreetmap.org/search?" + urlencode({"query": query})
    return None


def occurrence_path(event: Event, occurrence: Occurrence) -> str:
    day = occurrence.start.astimezone(ZoneInfo(event.timezone)).date().isoformat()
    return f"{page_url(event)}/occurrences/{day}"


async def event_context(
    session: AsyncSession, request: Request, event: Event, organiser: Actor
) -> dict[str, Any]:
    """What the page of an event shows (the whole of a series; see :mod:`event_dates` for one
    of its dates)."""
    viewer = await current_viewer(request)
    rsvp = await event_rsvps.find_rsvp(session, event, viewer.actor) if viewer else None
    position = 0
    if rsvp is not None and rsvp.state == RSVP_WAITLIST:
        position = await event_rsvps.waitlist_position(session, event, rsvp)
    may_organise = bool(
        viewer and event.is_local and await events.may_organise(session, viewer.actor, organiser)
    )
    upcoming = (
        await occurrences.upcoming_dates(session, event, utcnow(), count=UPCOMING_SHOWN)
        if event.rrule
        else []
    )
    counts = await date_rsvps.date_counts(session, event, [o.start for o in upcoming])
    original = None if event.is_local else web_url(event.url, event.uri)
    return {
        "event": event,
        "organiser": organiser,
        "quartier": None
        if organiser.is_local
        else (await quartier_names(session)).of(organiser.domain),
        "original_url": None if original == "#" else original,
        "organiser_handle": webfinger_handle(organiser, instance_of(request).settings)
        if organiser.is_local
        else organiser.handle,
        "page_url": page_url(event),
        "when": when_lines(event.start_time, event.end_time, event.timezone),
        "rule_words": describe_rule(event.rrule),
        "upcoming": [
            {
                "lines": when_lines(o.start, o.end, event.timezone),
                "path": occurrence_path(event, o),
                "count": counts.get(o.start, 0),
                "remaining": date_rsvps.remaining(event, counts.get(o.start, 0)),
            }
            for o in upcoming
        ],
        "place": location_text(event),
        "map_url": map_url(event),
        "venue_map": venue_map(request, event),
        "category_label": category_labels().get(event.category or "", ""),
        "rsvp": rsvp,
        "here": page_url(event),
        "rsvp_action": f"{page_url(event)}/rsvp",
        "whole_rsvp": None,
        "waitlist_position": position,
        "participants": event.participant_count,
        "remaining": date_rsvps.remaining(event, event.participant_count),
        "may_organise": may_organise,
        "is_cancelled": event.status == CANCELLED,
        "comments": await event_comments(session, event.uri) if event.comments_enabled else [],
        "ics_url": f"{page_url(event)}.ics" if event.is_local else None,
        "occurrence": None,
        "date_joinable": True,
    }


async def event_page(request: Request) -> Response:
    async with instance_of(request).database.session() as session:
        event, organiser = await event_at(session, request)
        context = await event_context(session, request, event, organiser)
        context["sharing"] = await sharing_panel(session, request, "event", event)
    return render(request, "events/event.html", context)


def both_kinds(path: str, endpoint: Any, methods: list[str], name: str) -> list[BaseRoute]:
    """The same page for our events (by uuid) and remote ones (by row id)."""
    return [
        Route(f"/events/{{event_uuid:uuid}}{path}", endpoint, methods=methods, name=name),
        Route(f"/events/remote/{{event_id:int}}{path}", endpoint, methods=methods,
              name=f"remote_{name}"),
    ]  # fmt: skip


routes: list[BaseRoute] = [
    Route("/events/remote/{event_id:int}", event_page, methods=["GET"], name="remote_event"),
]

__all__ = ["both_kinds", "event_at", "event_context", "event_page", "page_url", "routes"]
