"""Pages: taking part in an event or one of its dates, leaving it, and commenting on it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from commons.events import dates as occurrences
from commons.events import rsvps as event_rsvps
from commons.events.queries import event_by_id
from commons.posts.services import publish_note
from config.errors import DomainError
from instance.runtime import instance_of
from storage.models.events import (
    RSVP_ACCEPTED,
    RSVP_PENDING,
    RSVP_WAITLIST,
)
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.events.events import both_kinds, event_at, page_url
from webui.session import flash, require_viewer

if TYPE_CHECKING:
    pass


async def rsvp(request: Request) -> Response:
    """``action=join`` or ``action=leave``; a remote event is asked through its organiser."""
    return await take_part(request, None)


async def take_part(request: Request, day: date | None) -> Response:
    """Join or leave the event, or one date of it (``day``, a local day of the series)."""
    viewer = await require_viewer(request)
    form = await read_form(request)
    action = form.get("action")
    message = form.get("message")
    instance = instance_of(request)
    _ = i18n.gettext
    async with instance.database.session() as session:
        event, _organiser = await event_at(session, request)
        found = await occurrences.date_on(session, event, day) if day is not None else None
    if day is not None and found is None:
        raise HTTPException(404)
    occurrence = found.start if found is not None else None
    back = page_url(event) if day is None else f"{page_url(event)}/occurrences/{day.isoformat()}"
    try:
        async with instance.database.transaction() as session:
            row = await event_by_id(session, event.id)
            assert row is not None
            if action == "leave":
                await event_rsvps.leave_event(
                    session, instance.uris, viewer.actor, row, occurrence=occurrence
                )
                text = _("You no longer take part.")
            else:
                answer = await event_rsvps.join_event(
                    session, instance.uris, viewer.actor, row, occurrence=occurrence,
                    message=message if isinstance(message, str) else None,
                )  # fmt: skip
                text = {
                    RSVP_ACCEPTED: _("You take part. See you there!"),
                    RSVP_PENDING: _("Your request is sent to the organiser."),
                    RSVP_WAITLIST: _("The event is full: you are on the waiting list."),
                }.get(answer.state, _("The organiser did not accept your participation."))
    except DomainError as error:
        flash(request, error_message(error), "error")
    else:
        flash(request, text, "success")
    return RedirectResponse(back, status_code=303)


async def comment(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    text = form.get("text")
    instance = instance_of(request)
    async with instance.database.session() as session:
        event, organiser = await event_at(session, request)
    if not event.comments_enabled:
        raise HTTPException(403, "comments are closed")
    if isinstance(text, str) and text.strip():
        inboxes = [] if organiser.is_local else [organiser.inbox_uri]
        async with instance.database.transaction() as session:
            await publish_note(session, instance.uris, viewer.actor, text.strip()[:5000],
                               in_reply_to=event.uri, inboxes=inboxes)  # fmt: skip
        flash(request, i18n.gettext("Your comment is published."), "success")
    return RedirectResponse(page_url(event) + "#comments", status_code=303)


routes: list[BaseRoute] = [
    *both_kinds("/rsvp", rsvp, ["POST"], "event_rsvp"),
    *both_kinds("/comments", comment, ["POST"], "event_comment"),
]
