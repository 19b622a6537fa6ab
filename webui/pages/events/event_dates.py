"""Pages: one date of a series, with its own participants, places and waiting list.

``/events/{uuid}/occurrences/2026-12-05`` (and ``/events/remote/{id}/occurrences/…`` for a
remote series): the series' page for that date, where a resident takes part on that date only.
Someone who takes part in the whole series comes on every date; they leave it from the series.
A date of a remote series can be joined when its server names its dates (ours do).
"""

from __future__ import annotations

from datetime import date

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from commons.events import date_rsvps
from commons.events import dates as occurrences
from commons.events import rsvps as event_rsvps
from instance.runtime import instance_of
from storage.models import utcnow
from storage.models.events import RSVP_ACCEPTED, RSVP_WAITLIST
from webui.pages.events.events import event_at, event_context, page_url, when_lines
from webui.pages.events.participation import take_part
from webui.render import render
from webui.session import current_viewer


def _day(request: Request) -> date:
    try:
        return date.fromisoformat(request.path_params["day"])
    except ValueError:
        raise HTTPException(404) from None


async def occurrence_page(request: Request) -> Response:
    """One date of a series: ``/events/{uuid}/occurrences/2026-12-05``."""
    day = _day(request)
    viewer = await current_viewer(request)
    async with instance_of(request).database.session() as session:
        event, organiser = await event_at(session, request)
        found = await occurrences.date_on(session, event, day) if event.rrule else None
        if found is None:
            raise HTTPException(404)
        context = await event_context(session, request, event, organiser)
        whole = context["rsvp"]
        rsvp = (
            await event_rsvps.find_rsvp(session, event, viewer.actor, found.start)
            if viewer
            else None
        )
        position = 0
        if rsvp is not None and rsvp.state == RSVP_WAITLIST:
            position = await event_rsvps.waitlist_position(session, event, rsvp)
        count = await date_rsvps.count_taking_part(session, event, found.start)
    context |= {
        "occurrence": found,
        "when": when_lines(found.start, found.end, event.timezone),
        "rsvp": rsvp,
        "whole_rsvp": whole if whole is not None and whole.state == RSVP_ACCEPTED else None,
        "waitlist_position": position,
        "participants": count,
        "remaining": date_rsvps.remaining(event, count),
        "here": f"{page_url(event)}/occurrences/{day.isoformat()}",
        "rsvp_action": f"{page_url(event)}/occurrences/{day.isoformat()}/rsvp",
        "date_joinable": event.is_local
        or date_rsvps.remote_occurrence_uri(event, found.start) is not None,
        "date_over": (found.end or found.start) < utcnow(),
        "ics_url": f"{page_url(event)}/occurrences/{day.isoformat()}/calendar.ics"
        if event.is_local
        else None,
    }
    return render(request, "events/event.html", context)


async def occurrence_rsvp(request: Request) -> Response:
    """``action=join`` or ``action=leave`` for one date."""
    return await take_part(request, _day(request))


routes: list[BaseRoute] = [
    Route("/events/remote/{event_id:int}/occurrences/{day}", occurrence_page, methods=["GET"],
          name="remote_event_occurrence"),
    Route("/events/{event_uuid:uuid}/occurrences/{day}/rsvp", occurrence_rsvp, methods=["POST"],
          name="occurrence_rsvp"),
    Route("/events/remote/{event_id:int}/occurrences/{day}/rsvp", occurrence_rsvp,
          methods=["POST"], name="remote_occurrence_rsvp"),
]  # fmt: skip
