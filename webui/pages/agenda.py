"""Pages: the agenda (this quartier, the whole city, one collective), its feeds, my calendar, the map.

Every view is a GET form and plain links (no JavaScript needed). A month of the city holds
thousands of events, so the month and week views show the first few of each day with a
"see all" link to the day; the day view lists them all.
"""

from __future__ import annotations

import calendar as month_calendar
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from commons.agenda import queries as agenda
from commons.agenda.feeds import AtomFeed, FeedEntry, build_atom, build_calendar, location_text
from commons.agenda.queries import AgendaDay, AgendaItem, AgendaQuery, Window
from commons.agenda.upcoming import JoinedDate, joined_dates
from commons.events.dates import date_on
from commons.events.recurrence import Occurrence
from instance.runtime import instance_of
from storage.models import Account, Actor, Event, Rsvp
from storage.models.actors import GROUP
from storage.models.events import RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST
from webui import formats, i18n
from webui.csrf import read_form
from webui.pages.agenda_view import AgendaPrinter, first_of_each_series
from webui.pages.event_cards import event_card
from webui.pages.event_forms import category_labels
from webui.render import render
from webui.session import flash, require_viewer

VIEWS = ("day", "week", "month")
PER_DAY = {"day": None, "week": 6, "month": 3}
LIST_LENGTH = 40
MY_EVENTS = 50
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=366)
FEED_LIMIT = 1000
ATOM_LIMIT = 50
CATEGORIES_SPAN = timedelta(days=31)
ICS_TYPE = "text/calendar; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which agenda a page shows, and where it and its feeds live."""

    kind: str  # "local", "city" or "collective"
    path: str
    query: AgendaQuery
    collective: Actor | None = None


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(instance_of(request).settings.server.timezone)


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_date(text: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(text) if text else fallback
    except ValueError:
        return fallback


def _window(view: str, day: date, zone: ZoneInfo) -> tuple[Window, date, date]:
    """The window of a view around ``day``, with the dates of the previous and next ones."""
    if view == "day":
        return Window(day, 1, zone), day - timedelta(days=1), day + timedelta(days=1)
    if view == "week":
        monday = day - timedelta(days=day.weekday())
        return Window(monday, 7, zone), monday - timedelta(days=7), monday + timedelta(days=7)
    first = day.replace(day=1)
    length = month_calendar.monthrange(first.year, first.month)[1]
    previous = (first - timedelta(days=1)).replace(day=1)
    return Window(first, length, zone), previous, first + timedelta(days=length)


# Formatting in the reader's language and the instance's zone


def formatters(zone: ZoneInfo, base_url: str) -> dict[str, Callable[..., str]]:
    clocks: dict[tuple[int, int], str] = {}
    titles: dict[date, str] = {}

    def clock(moment: datetime) -> str:
        local = moment.astimezone(zone)
        key = (local.hour, local.minute)
        if key not in clocks:
            clocks[key] = formats.format_clock(local, zone)
        return clocks[key]

    def day_title(day: date) -> str:
        if day not in titles:
            titles[day] = formats.format_day(day)
        return titles[day]

    def link(item: AgendaItem) -> str:
        return item.link(base_url)

    return {
        "clock": clock,
        "day_title": day_title,
        "day_short": formats.format_short_day,
        "link": link,
    }


def _period_title(view: str, window: Window) -> str:
    if view == "month":
        return formats.format_month(window.first)
    if view == "week":
        return i18n.gettext("Week of %(day)s") % {
            "day": formats.format_day(window.first, with_weekday=False)
        }
    return formats.sentence_start(formats.format_day(window.first))


def _month_grid(days: list[AgendaDay]) -> list[list[AgendaDay | None]]:
    """Weeks of a month, Monday first, blank cells around it."""
    cells: list[AgendaDay | None] = [None] * days[0].day.weekday() + list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[start : start + 7] for start in range(0, len(cells), 7)]


# Scopes


async def _collective(session: AsyncSession, name: str) -> Actor:
    username, _, domain = name.partition("@")
    statement = select(Actor).where(Actor.type == GROUP, Actor.username == username.lower())
    statement = (
        statement.where(Actor.domain == domain) if domain else statement.where(Actor.is_local)
    )
    actor = await session.scalar(statement)
    if actor is None or actor.is_gone:
        raise HTTPException(404, "no such collective")
    return actor


async def _scope(request: Request, session: AsyncSession, kind: str) -> Scope:
    category = (request.query_params.get("category") or "").strip()[:64] or None
    if kind == "collective":
        collective = await _collective(session, request.path_params["name"])
        path = f"/agenda/collective/{request.path_params['name']}"
        return Scope(kind, path, AgendaQuery(actor_id=collective.id, category=category), collective)
    organiser = (request.query_params.get("collective") or "").strip()
    actor_id = (await _collective(session, organiser)).id if organiser else None
    path = "/agenda" if kind == "local" else "/agenda/city"
    query = AgendaQuery(local_only=kind == "local", actor_id=actor_id, category=category)
    return Scope(kind, path, query)


def _scope_title(scope: Scope) -> str:
    _ = i18n.gettext
    if scope.collective is not None:
        name = scope.collective.name or scope.collective.username
        return _("Agenda of %(name)s") % {"name": name}
    return _("Agenda of the neighbourhood") if scope.kind == "local" else _("Agenda of the city")


# The agenda pages


async def _agenda_page(request: Request, kind: str) -> Response:
    instance = instance_of(request)
    zone, now = _zone(request), _now()
    today = now.astimezone(zone).date()
    params = request.query_params
    view = params.get("view", "")
    when = "past" if params.get("when") == "past" else "upcoming"
    context: dict[str, Any] = {}
    async with instance.database.session() as session:
        scope = await _scope(request, session, kind)
        filters = {
            key: value
            for key in ("category", "collective")
            if (value := (params.get(key) or "").strip())
        }
        if view in VIEWS:
            day = _parse_date(params.get("date"), today)
            window, previous, following = _window(view, day, zone)
            days = await agenda.agenda_days(session, scope.query, window, per_day=PER_DAY[view])
            context |= {
                "days": days if view != "month" else [d for d in days if d.total],
                "grid": _month_grid(days) if view == "month" else None,
                "period_title": _period_title(view, window),
                "previous_url": _url(scope.path, filters, view=view, date=previous),
                "next_url": _url(scope.path, filters, view=view, date=following),
                "today_url": _url(scope.path, filters, view=view, date=today),
                "categories": await agenda.categories_in(
                    session, scope.query, window.start, window.end
                ),
            }
        else:
            view = ""
            if when == "past":
                moment = now
                if until := params.get("until"):
                    moment = min(now, agenda.local_midnight(_parse_date(until, today), zone))
                days, earlier = await agenda.past_days(
                    session, scope.query, moment, zone, limit=LIST_LENGTH
                )
                more = _url(scope.path, filters, when="past", until=earlier) if earlier else None
            else:
                moment = now
                if start := params.get("from"):
                    moment = max(now, agenda.local_midnight(_parse_date(start, today), zone))
                days, later = await agenda.upcoming_days(
                    session, scope.query, moment, zone, limit=LIST_LENGTH
                )
                days = first_of_each_series(days)
                more = _url(scope.path, filters, **{"from": later}) if later else None
            context |= {
                "days": days,
                "grid": None,
                "more_url": more,
                "categories": await agenda.categories_in(
                    session, scope.query, now - CATEGORIES_SPAN, now + CATEGORIES_SPAN
                ),
            }
        collectives = (
            await session.scalars(
                select(Actor)
                .where(Actor.is_local, Actor.type == GROUP, Actor.is_gone.is_(False))
                .order_by(Actor.name)
                .limit(200)
            )
        ).all()
    context |= {
        "scope": scope,
        "title": _scope_title(scope),
        "view": view,
        "when": when,
        "date": params.get("date", ""),
        "filters": filters,
        "collectives": collectives if kind != "collective" else [],
        "feeds": _feed_links(scope),
        "view_urls": {
            name: _url(scope.path, filters, view=name, date=params.get("date") or None)
            for name in VIEWS
        },
        "upcoming_url": _url(scope.path, filters),
        "past_url": _url(scope.path, filters, when="past"),
    }
    shown = formatters(zone, instance.settings.base_url)
    printer = AgendaPrinter(scope.path, filters, clock=shown["clock"],
                            day_title=shown["day_title"], link=shown["link"])  # fmt: skip
    context["days"] = printer.days(context["days"])
    if context["grid"] is not None:
        context["grid"] = printer.grid(context["grid"], today)
    context["category_labels"] = category_labels()
    return render(request, "agenda/index.html", context)


def _url(path: str, filters: dict[str, str], **extra: Any) -> str:
    query = {**filters, **{key: str(value) for key, value in extra.items() if value is not None}}
    return f"{path}?{urlencode(query)}" if query else path


def _feed_links(scope: Scope) -> dict[str, str]:
    return {"ics": f"{scope.path}.ics", "atom": f"{scope.path}.atom"}


async def local_agenda(request: Request) -> Response:
    return await _agenda_page(request, "local")


async def city_agenda(request: Request) -> Response:
    return await _agenda_page(request, "city")


async def collective_agenda(request: Request) -> Response:
    return await _agenda_page(request, "collective")


# Feeds


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
        row = (
            await session.execute(
                select(Event, Actor)
                .join(Actor, Actor.id == Event.actor_id)
                .where(Event.uri == f"{base_url}/events/{uuid}", Event.deleted_at.is_(None))
            )
        ).first()
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
        row = (
            await session.execute(
                select(Event, Actor)
                .join(Actor, Actor.id == Event.actor_id)
                .where(Event.uri == f"{base_url}/events/{uuid}", Event.deleted_at.is_(None))
            )
        ).first()
        found = await date_on(session, row[0], day) if row is not None and row[0].rrule else None
    if row is None or found is None:
        raise HTTPException(404, "no such date")
    event, actor = row
    entry = FeedEntry(event, actor, _occurrence_url(base_url, event, found.start), found.start)
    body = build_calendar([entry], name=event.title)
    return ics_response(body, filename=f"{uuid[:64]}-{day.isoformat()}.ics")


# My calendar: the events I joined, at a secret address


def _new_token() -> str:
    return secrets.token_urlsafe(32)


async def my_calendar(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    token = viewer.account.calendar_token
    if not token:
        async with instance.database.transaction() as session:
            account = await session.get(Account, viewer.account.id)
            assert account is not None
            account.calendar_token = token = _new_token()
    feed_url = f"{instance.settings.base_url}/calendar/{token}.ics"
    async with instance.database.session() as session:
        joined = await joined_dates(session, viewer.actor.id, _now(), limit=MY_EVENTS)
    context = {
        "event_cards": [event_card(entry, _joined_note(entry)) for entry in joined],
        "feed_url": feed_url,
        "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
        "title": i18n.gettext("My events"),
    }
    return render(request, "agenda/calendar.html", context)


def _joined_note(entry: JoinedDate) -> str:
    _ = i18n.gettext
    if entry.state == RSVP_PENDING:
        return _("Waiting for the organiser's answer")
    if entry.state == RSVP_WAITLIST:
        return _("On the waiting list")
    return _("You take part in every date") if entry.whole_series else _("You take part")


async def rotate_calendar_token(request: Request) -> Response:
    viewer = await require_viewer(request)
    await read_form(request)
    async with instance_of(request).database.transaction() as session:
        account = await session.get(Account, viewer.account.id)
        assert account is not None
        account.calendar_token = _new_token()
    flash(request, i18n.gettext("Your calendar has a new secret address; the old one is closed."))
    return RedirectResponse("/calendar", status_code=303)


async def personal_ics(request: Request) -> Response:
    instance = instance_of(request)
    base_url = instance.settings.base_url
    token = request.path_params["token"]
    async with instance.database.session() as session:
        account = (
            await session.scalar(select(Account).where(Account.calendar_token == token))
            if token
            else None
        )
        if account is None or account.is_suspended:
            raise HTTPException(404, "no such calendar")
        rows = (
            await session.execute(
                select(Event, Actor, Rsvp.occurrence)
                .join(Rsvp, Rsvp.event_id == Event.id)
                .join(Actor, Actor.id == Event.actor_id)
                .where(
                    Rsvp.actor_id == account.actor_id,
                    Rsvp.state == RSVP_ACCEPTED,
                    Event.deleted_at.is_(None),
                )
                .order_by(Event.start_time)
                .limit(FEED_LIMIT)
            )
        ).all()
    entries = [
        FeedEntry(event, actor, _occurrence_url(base_url, event, occurrence), occurrence)
        if event.rrule and occurrence is not None
        else FeedEntry(event, actor, _page_url(base_url, event))
        for event, actor, occurrence in rows
    ]
    return ics_response(build_calendar(entries, name=i18n.gettext("My calendar")), private=True)


# The map


routes: list[BaseRoute] = [
    Route("/agenda.ics", _ics_endpoint("local"), name="agenda_ics"),
    Route("/agenda.atom", _atom_endpoint("local"), name="agenda_atom"),
    Route("/agenda", local_agenda, name="agenda"),
    Route("/agenda/city.ics", _ics_endpoint("city"), name="city_agenda_ics"),
    Route("/agenda/city.atom", _atom_endpoint("city"), name="city_agenda_atom"),
    Route("/agenda/city", city_agenda, name="city_agenda"),
    Route("/agenda/collective/{name}.ics", _ics_endpoint("collective"), name="collective_ics"),
    Route("/agenda/collective/{name}.atom", _atom_endpoint("collective"), name="collective_atom"),
    Route("/agenda/collective/{name}", collective_agenda, name="collective_agenda"),
    Route("/events/{uuid}.ics", event_ics, name="event_ics"),
    Route("/events/{uuid}/occurrences/{day}/calendar.ics", occurrence_ics, name="occurrence_ics"),
    Route("/calendar", my_calendar, name="my_calendar"),
    Route("/calendar/rotate", rotate_calendar_token, methods=["POST"], name="rotate_calendar"),
    Route("/calendar/{token}.ics", personal_ics, name="personal_calendar"),
]
