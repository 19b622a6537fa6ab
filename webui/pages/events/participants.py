"""Pages: the organiser's side of an event — who takes part, answering requests, writing to
the participants."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from commons.events import rsvps as event_rsvps
from commons.events import services as events
from commons.events.queries import answers_to, event_by_id
from commons.posts.mentions import mention_key
from commons.posts.services import publish_note
from config.errors import DomainError
from instance.runtime import instance_of
from storage.models.posts import MENTIONED
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.events.events import event_at, page_url, when_lines
from webui.render import render
from webui.session import Viewer, flash, require_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor, Event, Rsvp


MESSAGE_BATCH = 20


async def _organiser_only(
    session: AsyncSession, request: Request, viewer: Viewer
) -> tuple[Event, Actor]:
    event, organiser = await event_at(session, request)
    if not event.is_local or not await events.may_organise(session, viewer.actor, organiser):
        raise HTTPException(403, "organisers only")
    return event, organiser


async def participants_page(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with instance_of(request).database.session() as session:
        event, organiser = await _organiser_only(session, request, viewer)
        rows = await answers_to(session, event.id)
        by_date: dict[datetime | None, dict[str, list[tuple[Rsvp, Actor]]]] = {}
        for rsvp_row, person in rows:
            by_state = by_date.setdefault(rsvp_row.occurrence, {})
            by_state.setdefault(rsvp_row.state, []).append((rsvp_row, person))
    _ = i18n.gettext
    groups = [
        {
            "heading": None if not event.rrule else _("Every date") if start is None
            else " ".join(when_lines(start, None, event.timezone).values()),
            "by_state": by_date[start],
        }
        for start in sorted(by_date, key=lambda start: (start is not None, start))
    ] or [{"heading": None, "by_state": {}}]  # fmt: skip
    context = {"event": event, "organiser": organiser, "page_url": page_url(event),
               "groups": groups, "errors": {}}  # fmt: skip
    return render(request, "events/participants.html", context)


async def answer_participant(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    instance = instance_of(request)
    _ = i18n.gettext
    async with instance.database.session() as session:
        event, _organiser = await _organiser_only(session, request, viewer)
    accept = form.get("decision") == "accept"
    try:
        async with instance.database.transaction() as session:
            row = await event_by_id(session, event.id)
            assert row is not None
            await event_rsvps.answer_participation(
                session, instance.uris, viewer.actor, row, request.path_params["rsvp_id"],
                accept=accept,
            )  # fmt: skip
    except events.NotOrganiser:
        raise HTTPException(403, "organisers only") from None
    except DomainError as error:
        flash(request, error_message(error), "error")
    else:
        flash(request, _("Participation accepted.") if accept else _("Participation refused."),
              "success")  # fmt: skip
    return RedirectResponse(page_url(event) + "/participants", status_code=303)


async def message_participants(request: Request) -> Response:
    """A note to the participants only (mentioned-only), in batches of 20 mentions."""
    viewer = await require_viewer(request)
    form = await read_form(request)
    instance = instance_of(request)
    text = form.get("message")
    async with instance.database.session() as session:
        event, organiser = await _organiser_only(session, request, viewer)
        people = await events.participant_actors(session, event)
    if not isinstance(text, str) or not text.strip():
        flash(request, i18n.gettext("Write a message first."), "error")
        return RedirectResponse(page_url(event) + "/participants", status_code=303)
    url = instance.settings.base_url + page_url(event)
    for start in range(0, len(people), MESSAGE_BATCH):
        batch = [p for p in people[start : start + MESSAGE_BATCH] if p.id != organiser.id]
        if not batch:
            continue
        handles = " ".join(f"@{p.username}@{p.domain}" for p in batch)
        mentions = {mention_key(p.username, p.domain): p for p in batch}
        body = f"{handles}\n\n{text.strip()[:4000]}\n\n{event.title} — <{url}>"
        async with instance.database.transaction() as session:
            await publish_note(
                session, instance.uris, organiser, body, visibility=MENTIONED, mentions=mentions,
                inboxes=[p.delivery_inbox for p in batch if not p.is_local],
            )  # fmt: skip
    flash(request, i18n.gettext("Your message is sent to the participants."), "success")
    return RedirectResponse(page_url(event) + "/participants", status_code=303)


routes: list[BaseRoute] = [
    Route("/events/{event_uuid:uuid}/participants", participants_page, methods=["GET"],
          name="event_participants"),
    Route("/events/{event_uuid:uuid}/participants/message", message_participants,
          methods=["POST"], name="event_message"),
    Route("/events/{event_uuid:uuid}/participants/{rsvp_id:int}", answer_participant,
          methods=["POST"], name="event_answer"),
]  # fmt: skip
