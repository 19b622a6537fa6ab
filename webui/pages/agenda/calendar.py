"""My calendar: the events I joined, on a page and at a secret address for calendar apps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.calendar_tokens import account_of_calendar, calendar_token, replace_calendar_token
from commons.agenda.feeds import FeedEntry, build_calendar
from commons.agenda.upcoming import JoinedDate, joined_dates
from commons.events.queries import accepted_by
from instance.runtime import instance_of
from storage.models.events import RSVP_PENDING, RSVP_WAITLIST
from webui import i18n
from webui.csrf import read_form
from webui.pages.agenda.agenda import FEED_LIMIT, MY_EVENTS, _now
from webui.pages.agenda.feeds import _occurrence_url, _page_url, ics_response
from webui.pages.events.event_cards import event_card
from webui.render import render
from webui.session import flash, require_viewer

if TYPE_CHECKING:
    pass


async def my_calendar(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    token = viewer.account.calendar_token
    if not token:
        async with instance.database.transaction() as session:
            token = await calendar_token(session, viewer.account.id)
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
        await replace_calendar_token(session, viewer.account.id)
    flash(request, i18n.gettext("Your calendar has a new secret address; the old one is closed."))
    return RedirectResponse("/calendar", status_code=303)


async def personal_ics(request: Request) -> Response:
    instance = instance_of(request)
    base_url = instance.settings.base_url
    token = request.path_params["token"]
    async with instance.database.session() as session:
        account = await account_of_calendar(session, token)
        if account is None or account.is_suspended:
            raise HTTPException(404, "no such calendar")
        rows = await accepted_by(session, account.actor_id, FEED_LIMIT)
    entries = [
        FeedEntry(event, actor, _occurrence_url(base_url, event, occurrence), occurrence)
        if event.rrule and occurrence is not None
        else FeedEntry(event, actor, _page_url(base_url, event))
        for event, actor, occurrence in rows
    ]
    return ics_response(build_calendar(entries, name=i18n.gettext("My calendar")), private=True)


routes: list[BaseRoute] = [
    Route("/calendar", my_calendar, name="my_calendar"),
    Route("/calendar/rotate", rotate_calendar_token, methods=["POST"], name="rotate_calendar"),
    Route("/calendar/{token}.ics", personal_ics, name="personal_calendar"),
]
