"""Feeds of the agenda (iCalendar and Atom, for this quartier, the city, a collective) and
"add to my calendar" for one event or one date of a series."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from commons.agenda import queries as agenda
from commons.agenda.feeds import AtomFeed, FeedEntry, build_atom, build_calendar, location_text
from commons.events.dates import date_on
from commons.events.queries import live_event_by_uri
from commons.events.recurrence import Occurrence
from instance.runtime import instance_of
from webui import formats, i18n
from webui.pages.agenda.agenda import (
    ATOM_LIMIT,
    ATOM_TYPE,
    FEED_AHEAD,
    FEED_LIMIT,
    FEED_PAST,
    ICS_TYPE,
    Scope,
    _now,
    _scope,
    _scope_title,
    _zone,
)

if TYPE_CHECKING:
    from storage.models import Event


def _page_url(base_url: str, event: Event) -> str:
    if event.is_local and event.uri.startswith(f"{base_url}/events/"):
        return event.uri
    return agenda.web_url(event.url, event.uri)


def _occurrence_url(base_url: str, event: Event, start: datetime) -> str:
    """Our page of one occurrence of a local series; the event's page otherwise."""
    page = _page_url(base_url, event)
    if not event.rrule or page != event.uri:
        return page
    day = start.astimezone(agenda.zone_of(event.timezone)).date()
    return f"{page}/occurrences/{day.isoformat()}"


async def _scope_entries(request: Request, kind: str, limit: int) -> tuple[Scope, list[FeedEntry]]:
    instance = instance_of(request)
    base_url, now = instance.settings.base_url, _now()
    async with instance.database.session() as session:
        scope = await _scope(request, session, kind)
        pairs = await agenda.feed_events(
            session, scope.query, after=now - FEED_PAST, before=now + FEED_AHEAD, limit=limit
        )
    return scope, [FeedEntry(event, actor, _page_url(base_url, event)) for event, actor in pairs]


def ics_response(body: bytes, *, filename: str | None = None, private: bool = False) -> Response:
    headers = {"Cache-Control": "private, no-store" if private else "public, max-age=900"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if private:
        headers["X-Robots-Tag"] = "noindex"
        headers["Referrer-Policy"] = "no-referrer"
    return Response(body, media_type=ICS_TYPE, headers=headers)


def _ics_endpoint(kind: str) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        scope, entries = await _scope_entries(request, kind, FEED_LIMIT)
        name = f"{_scope_title(scope)} — {instance_of(request).settings.server.name}"
        return ics_response(build_calendar(entries, name=name))

    endpoint.__name__ = f"{kind}_ics"
    return endpoint


def _atom_endpoint(kind: str) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        instance = instance_of(request)
        base_url, now = instance.settings.base_url, _now()
        async with instance.database.session() as session:
            scope = await _scope(request, session, kind)
            pairs = await agenda.feed_events(
                session, scope.query, after=now, before=now + FEED_AHEAD, limit=ATOM_LIMIT
            )
            upcoming = await agenda.first_dates(
                session, [event for event, _ in pairs], now, now + FEED_AHEAD
            )
        entries = [FeedEntry(event, actor, _page_url(base_url, event)) for event, actor in pairs]
        feed = AtomFeed(
            feed_id=f"{base_url}{scope.path}.atom",
            title=f"{_scope_title(scope)} — {instance.settings.server.name}",
            page_url=f"{base_url}{scope.path}",
            feed_url=f"{base_url}{scope.path}.atom",
            language=i18n.current_locale.get(),
        )
        body = build_atom(feed, entries, summarise=_summariser(_zone(request), upcoming))
        return Response(
            body, media_type=ATOM_TYPE, headers={"Cache-Control": "public, max-age=900"}
        )

    endpoint.__name__ = f"{kind}_atom"
    return endpoint


def _summariser(zone: ZoneInfo, upcoming: dict[int, Occurrence]) -> Callable[[FeedEntry], str]:
    _ = i18n.gettext

    def summarise(entry: FeedEntry) -> str:
        event = entry.event
        next_date = upcoming.get(event.id)
        when = formats.format_full_moment(next_date.start if next_date else event.start_time, zone)
        parts = [when, location_text(event), entry.organiser.name or entry.organiser.username]
        if event.status == "cancelled":
            parts.insert(0, _("Cancelled"))
        return " — ".join(part for part in parts if part)

    return summarise


async def event_ics(request: Request) -> Response:
    """One event, for "add to my calendar"."""
    instance = instance_of(request)
    base_url = instance.settings.base_url
    uuid = request.path_params["uuid"]
    async with instance.database.session() as session:
        row = await live_event_by_uri(session, f"{base_url}/events/{uuid}")
    if row is None:
        raise HTTPException(404, "no such event")
    event, actor = row
    body = build_calendar([FeedEntry(event, actor, event.uri)], name=event.title)
    return ics_response(body, filename=f"{uuid[:64]}.ics")


async def occurrence_ics(request: Request) -> Response:
    """One date of a series, for "add to my calendar" on that date's page: that date only."""
    instance = instance_of(request)
    base_url = instance.settings.base_url
    uuid = request.path_params["uuid"]
    try:
        day = date.fromisoformat(request.path_params["day"])
    except ValueError:
        raise HTTPException(404, "no such date") from None
    async with instance.database.session() as session:
        row = await live_event_by_uri(session, f"{base_url}/events/{uuid}")
        found = await date_on(session, row[0], day) if row is not None and row[0].rrule else None
    if row is None or found is None:
        raise HTTPException(404, "no such date")
    event, actor = row
    entry = FeedEntry(event, actor, _occurrence_url(base_url, event, found.start), found.start)
    body = build_calendar([entry], name=event.title)
    return ics_response(body, filename=f"{uuid[:64]}-{day.isoformat()}.ics")


routes: list[BaseRoute] = [
    Route("/agenda.ics", _ics_endpoint("local"), name="agenda_ics"),
    Route("/agenda.atom", _atom_endpoint("local"), name="agenda_atom"),
    Route("/agenda/city.ics", _ics_endpoint("city"), name="city_agenda_ics"),
    Route("/agenda/city.atom", _atom_endpoint("city"), name="city_agenda_atom"),
    Route("/agenda/collective/{name}.ics", _ics_endpoint("collective"), name="collective_ics"),
    Route("/agenda/collective/{name}.atom", _atom_endpoint("collective"), name="collective_atom"),
    Route("/events/{uuid}.ics", event_ics, name="event_ics"),
    Route("/events/{uuid}/occurrences/{day}/calendar.ics", occurrence_ics, name="occurrence_ics"),
]
