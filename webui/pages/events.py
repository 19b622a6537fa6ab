"""Pages: an event (and one date of a series), creating, editing, cancelling, taking part, and the
organiser's list of participants.

Roles are checked by the services of :mod:`commons.events` on every action; a forged form from
someone who may not organise gets 403. Every POST reads its form through ``read_form`` (CSRF).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.documents import webfinger_handle
from commons.agenda.feeds import location_text
from commons.events import date_rsvps
from commons.events import dates as occurrences
from commons.events import rsvps as event_rsvps
from commons.events import services as events
from commons.events.recurrence import Occurrence
from commons.events.wire import DEFAULT_TIMEZONE
from commons.media import MediaError, store_image
from commons.posts.mentions import mention_key
from commons.posts.services import publish_note
from config.errors import DomainError
from instance.runtime import instance_of
from storage.models import Actor, Event, Post, Rsvp, utcnow
from storage.models.events import (
    CANCELLED,
    RSVP_ACCEPTED,
    RSVP_PENDING,
    RSVP_WAITLIST,
)
from storage.models.posts import MENTIONED, PUBLIC
from webui import formats, i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.event_forms import (
    EventForm,
    blank_values,
    category_labels,
    form_options,
    read_event_form,
    values_of,
)
from webui.recurrence_words import describe_rule
from webui.render import render
from webui.session import Viewer, current_viewer, flash, require_viewer

UPCOMING_SHOWN = 8
MESSAGE_BATCH = 20


# Finding the event


async def event_at(session: AsyncSession, request: Request) -> tuple[Event, Actor]:
    params = request.path_params
    if "event_id" in params:
        event = await session.get(Event, params["event_id"])
    else:
        uri = f"{instance_of(request).uris.base}/events/{params['event_uuid']}"
        event = await session.scalar(select(Event).where(Event.uri == uri))
    if event is None or event.deleted_at is not None:
        raise HTTPException(404)
    organiser = await session.get(Actor, event.actor_id)
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


async def _comments(session: AsyncSession, event: Event) -> list[tuple[Post, Actor]]:
    rows = await session.execute(
        select(Post, Actor)
        .join(Actor, Actor.id == Post.actor_id)
        .where(
            Post.in_reply_to_uri == event.uri,
            Post.deleted_at.is_(None),
            Post.visibility == PUBLIC,
        )
        .order_by(Post.published)
        .limit(200)
    )
    return [(post, author) for post, author in rows]


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
    return {
        "event": event,
        "organiser": organiser,
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
        "comments": await _comments(session, event) if event.comments_enabled else [],
        "ics_url": f"{page_url(event)}.ics" if event.is_local else None,
        "occurrence": None,
        "date_joinable": True,
    }


async def event_page(request: Request) -> Response:
    async with instance_of(request).database.session() as session:
        event, organiser = await event_at(session, request)
        context = await event_context(session, request, event, organiser)
    return render(request, "events/event.html", context)


# Creating and editing


def _form_context(form: EventForm, organisers: list[Actor], viewer: Viewer) -> dict[str, Any]:
    _ = i18n.gettext
    choices = [("", _("Myself (%(name)s)") % {"name": viewer.actor.name or viewer.actor.username})]
    choices += [(group.username, group.name or group.username) for group in organisers[1:]]
    return {"values": form.values, "errors": form.errors, "organiser_options": choices,
            **form_options()}  # fmt: skip


def _pick_organiser(organisers: list[Actor], name: str) -> Actor | None:
    if not name:
        return organisers[0]
    return next((a for a in organisers[1:] if a.username == name), None)


async def new_event(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    async with instance.database.session() as session:
        organisers = await events.organisers_for(session, viewer.actor)
    if request.method == "GET":
        form = EventForm(blank_values(instance.settings.server.city))
        chosen = request.query_params.get("organiser", "")
        form.values["organiser"] = chosen if _pick_organiser(organisers, chosen) else ""
        return render(request, "events/new.html", _form_context(form, organisers, viewer))
    form = await read_event_form(await read_form(request))
    organiser = _pick_organiser(organisers, form.values["organiser"])
    if organiser is None:
        raise HTTPException(403, "you do not organise for this collective")
    event: Event | None = None
    if form.fields is not None and not form.errors:
        try:
            async with instance.database.transaction() as session:
                image = None
                if form.image is not None:
                    image = await store_image(
                        session, organiser, form.image, form.values["image_alt"]
                    )
                event = await events.create_event(
                    session, instance.uris, viewer.actor, organiser, form.fields, image=image
                )
        except events.NotOrganiser:
            raise HTTPException(403, "you do not organise for this collective") from None
        except MediaError as error:
            form.errors["image"] = error_message(error)
        except DomainError as error:
            form.refuse(error)
    if event is None:
        return render(request, "events/new.html", _form_context(form, organisers, viewer), 400)
    flash(request, i18n.gettext("The event is published."), "success")
    return RedirectResponse(page_url(event), status_code=303)


async def edit_event(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    async with instance.database.session() as session:
        event, organiser = await event_at(session, request)
        if not event.is_local or not await events.may_organise(session, viewer.actor, organiser):
            raise HTTPException(403, "organisers only")
    context: dict[str, Any] = {"event": event, "page_url": page_url(event)}
    if request.method == "GET":
        form = EventForm(values_of(event, organiser))
        context.update(_form_context(form, [viewer.actor], viewer))
        return render(request, "events/edit.html", context)
    form = await read_event_form(await read_form(request))
    form.values["organiser"] = organiser.username
    saved = False
    if form.fields is not None and not form.errors:
        try:
            async with instance.database.transaction() as session:
                row = await session.get(Event, event.id)
                assert row is not None
                image = None
                if form.image is not None:
                    image = await store_image(
                        session, organiser, form.image, form.values["image_alt"]
                    )
                await events.edit_event(session, instance.uris, viewer.actor, row, form.fields,
                                        image=image)  # fmt: skip
                saved = True
        except events.NotOrganiser:
            raise HTTPException(403, "organisers only") from None
        except MediaError as error:
            form.errors["image"] = error_message(error)
        except DomainError as error:
            form.refuse(error)
    if not saved:
        context.update(_form_context(form, [viewer.actor], viewer))
        return render(request, "events/edit.html", context, 400)
    flash(request, i18n.gettext("The event is saved; participants and followers are told."),
          "success")  # fmt: skip
    return RedirectResponse(page_url(event), status_code=303)


async def cancel_event(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    async with instance.database.session() as session:
        event, organiser = await event_at(session, request)
        if not event.is_local or not await events.may_organise(session, viewer.actor, organiser):
            raise HTTPException(403, "organisers only")
    if request.method == "GET":
        context = {"event": event, "page_url": page_url(event),
                   "when": when_lines(event.start_time, event.end_time, event.timezone)}  # fmt: skip
        return render(request, "events/cancel.html", context)
    await read_form(request)
    try:
        async with instance.database.transaction() as session:
            row = await session.get(Event, event.id)
            assert row is not None
            await events.cancel_event(session, instance.uris, viewer.actor, row)
    except events.NotOrganiser:
        raise HTTPException(403, "organisers only") from None
    flash(request, i18n.gettext("The event is cancelled; participants and followers are told."),
          "success")  # fmt: skip
    return RedirectResponse(page_url(event), status_code=303)


# Taking part


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
            row = await session.get(Event, event.id)
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


# The organiser's side


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
        rows = await session.execute(
            select(Rsvp, Actor)
            .join(Actor, Actor.id == Rsvp.actor_id)
            .where(Rsvp.event_id == event.id)
            .order_by(Rsvp.created_at, Rsvp.id)
        )
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
            row = await session.get(Event, event.id)
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


def _pair(path: str, endpoint: Any, methods: list[str], name: str) -> list[BaseRoute]:
    """The same page for our events (by uuid) and remote ones (by row id)."""
    return [
        Route(f"/events/{{event_uuid:uuid}}{path}", endpoint, methods=methods, name=name),
        Route(f"/events/remote/{{event_id:int}}{path}", endpoint, methods=methods,
              name=f"remote_{name}"),
    ]  # fmt: skip


routes: list[BaseRoute] = [
    Route("/events/new", new_event, methods=["GET", "POST"], name="new_event"),
    Route("/events/remote/{event_id:int}", event_page, methods=["GET"], name="remote_event"),
    *_pair("/rsvp", rsvp, ["POST"], "event_rsvp"),
    *_pair("/comments", comment, ["POST"], "event_comment"),
    Route("/events/{event_uuid:uuid}/edit", edit_event, methods=["GET", "POST"], name="edit_event"),
    Route("/events/{event_uuid:uuid}/cancel", cancel_event, methods=["GET", "POST"],
          name="cancel_event"),
    Route("/events/{event_uuid:uuid}/participants", participants_page, methods=["GET"],
          name="event_participants"),
    Route("/events/{event_uuid:uuid}/participants/message", message_participants,
          methods=["POST"], name="event_message"),
    Route("/events/{event_uuid:uuid}/participants/{rsvp_id:int}", answer_participant,
          methods=["POST"], name="event_answer"),
]  # fmt: skip

__all__ = ["event_at", "event_context", "event_page", "page_url", "routes", "take_part"]
