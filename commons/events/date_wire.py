"""One date of a series as an AS2 ``Event`` of its own, and how we recognise one.

Each date of one of our series has its own id, its page: ``<series id>/occurrences/2026-12-05``.
Served to servers it is the series' Event with that date's ``startTime`` and ``endTime``, that
date's participant count and remaining places, no rule, and ``superEvent`` (schema.org: "an
event that this event is a part of"; no FEP names the link from a date to its series, and
Mobilizon and Gancio have no series) pointing to the series. A ``Join`` whose object is that id
takes part on that date only; a ``Join`` of the series id still means every date.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from commons.events.date_rsvps import TEMPLATE_TERM, occurrence_template, occurrence_uri, remaining
from commons.events.expansion import zone_of
from commons.events.wire import build_event, iso_utc
from commons.events.words import describe_rule, french_when, place_line
from federation.vocab import as_list, id_of
from storage.models import Actor, Event
from storage.models.events import CANCELLED, JOIN_EXTERNAL, JOIN_FREE

SERIES_LINK = "superEvent"


def with_date_ids(document: dict[str, Any], event: Event) -> dict[str, Any]:
    """A series' document says how its dates are named, so that other servers can join one."""
    if event.rrule:
        document[TEMPLATE_TERM] = occurrence_template(event)
    return document


def _summary(event: Event, start: datetime, end: datetime | None, count: int) -> str:
    pieces = [french_when(start, end, zone_of(event.timezone))]
    pieces += [line for line in (place_line(event),) if line]
    if event.status != CANCELLED and event.join_mode != JOIN_EXTERNAL:
        words = "Entrée libre" if event.join_mode == JOIN_FREE else "Sur inscription"
        left = remaining(event, count)
        if left is not None:
            words += " · complet" if left == 0 else f" · {left} places restantes"
        pieces.append(words)
    rule = describe_rule(event.rrule)
    if rule:
        pieces.append(f"Une date de la série : {rule.lower()}")
    text = " · ".join(pieces)
    if event.status == CANCELLED:
        text = f"ANNULÉ — {text}"
    return f"<p>{html.escape(text)}</p>"


def build_occurrence(
    event: Event,
    organiser: Actor,
    start: datetime,
    end: datetime | None,
    count: int,
    *,
    with_context: bool = True,
) -> dict[str, Any]:
    """The Event of one date of a local series (``count``: its participants)."""
    document = build_event(event, organiser, with_context=with_context)
    uri = occurrence_uri(event, start)
    document.update(
        id=uri,
        url=uri,
        summary=_summary(event, start, end, count),
        startTime=iso_utc(start),
        participantCount=count,
    )
    document[SERIES_LINK] = event.uri
    document.pop("rrule", None)
    document.pop("exdate", None)
    document.pop("endTime", None)
    if end is not None:
        document["endTime"] = iso_utc(end)
    left = remaining(event, count)
    if left is not None:
        document["remainingAttendeeCapacity"] = left
    return document


def is_occurrence_document(data: dict[str, Any]) -> bool:
    """An Event that is one date of a series (we keep the series, not its dates)."""
    return any(id_of(link) for link in as_list(data.get(SERIES_LINK)))
