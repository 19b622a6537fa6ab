"""Pages: the agenda (this quartier, the whole city, one collective) by day, week or month.

Every view is a GET form and plain links (no JavaScript needed). A month of the city holds
thousands of events, so the month and week views show the first few of each day with a
"see all" link to the day; the day view lists them all.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from actors.city_scope import Neighbours, neighbours_of_city
from actors.queries import collective_named, collectives_to_pick
from commons.agenda import queries as agenda
from commons.agenda.queries import AgendaDay, AgendaItem, AgendaQuery, Window
from federation.parsing import is_kept_day
from instance.runtime import instance_of
from webui import formats, i18n
from webui.city_filter import chosen_quartier, quartier_choices
from webui.pages.agenda.agenda_view import AgendaPrinter, first_of_each_series
from webui.pages.events.event_forms import category_labels
from webui.render import render
from webui.shared_listings import listing_shared
from webui.visitor_pages import kept_for_visitors

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor

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
    """The day asked for, or ``fallback`` (today) for none, a wrong one, or one so near the ends
    of the calendar that the weeks around it cannot be counted."""
    try:
        day = date.fromisoformat(text) if text else fallback
    except ValueError:
        return fallback
    return day if is_kept_day(day) else fallback


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
    actor = await collective_named(session, name)
    if actor is None or actor.is_gone:
        raise HTTPException(404, "no such collective")
    return actor


async def _scope(
    request: Request, session: AsyncSession, kind: str, neighbours: Neighbours | None = None
) -> Scope:
    category = (request.query_params.get("category") or "").strip()[:64] or None
    if kind == "collective":
        collective = await _collective(session, request.path_params["name"])
        path = f"/agenda/collective/{request.path_params['name']}"
        query = AgendaQuery(actor_id=collective.id, category=category, with_shared=True)
        return Scope(kind, path, query, collective)
    organiser = (request.query_params.get("collective") or "").strip()
    actor_id = (await _collective(session, organiser)).id if organiser else None
    if kind == "local":
        query = AgendaQuery(local_only=True, actor_id=actor_id, category=category)
        return Scope(kind, "/agenda", query)
    query = AgendaQuery(
        actor_id=actor_id,
        category=category,
        left_out=(neighbours or await neighbours_of_city(session)).domains(shown=False),
        quartier=chosen_quartier(request),
    )
    return Scope(kind, "/agenda/city", query)


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
        neighbours = await neighbours_of_city(session)
        scope = await _scope(request, session, kind, neighbours)
        filters = {
            key: value
            for key in ("category", "collective", "quartier")
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
        collectives = await collectives_to_pick(session)
        names = neighbours.names
    context |= {
        "quartier_choices": quartier_choices(
            instance.settings, neighbours.choices if kind == "city" else []
        ),
        "chosen_quartier": scope.query.quartier,
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
                            day_title=shown["day_title"], link=shown["link"],
                            quartier_of=names.of)  # fmt: skip
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


@kept_for_visitors
@listing_shared
async def local_agenda(request: Request) -> Response:
    return await _agenda_page(request, "local")


@kept_for_visitors
@listing_shared
async def city_agenda(request: Request) -> Response:
    return await _agenda_page(request, "city")


async def collective_agenda(request: Request) -> Response:
    return await _agenda_page(request, "collective")


routes: list[BaseRoute] = [
    Route("/agenda", local_agenda, name="agenda"),
    Route("/agenda/city", city_agenda, name="city_agenda"),
    Route("/agenda/collective/{name}", collective_agenda, name="collective_agenda"),
]
