"""Upcoming events as cards (home page, a profile, my events): each event once, at its next
date, with its repetition in words, its place and its organiser."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_date

from commons.agenda.feeds import location_text
from commons.agenda.upcoming import UpcomingEvent
from webui import i18n
from webui.formats import reader_locale
from webui.pages.events.events import occurrence_path, page_url, when_lines
from webui.recurrence_words import describe_rule


@dataclass(frozen=True, slots=True)
class EventCard:
    href: str
    title: str
    day_number: str
    month: str
    start_iso: str
    when: str
    rule: str | None
    place: str
    organiser: str
    image_url: str | None
    image_alt: str
    note: str = ""


def event_card(entry: UpcomingEvent, note: str = "") -> EventCard:
    event, start = entry.event, entry.next.start
    local = start.astimezone(ZoneInfo(event.timezone))
    lines = when_lines(start, entry.next.end, event.timezone)
    return EventCard(
        href=occurrence_path(event, entry.next) if entry.is_series else page_url(event),
        title=event.title,
        day_number=str(local.day),
        month=str(format_date(local.date(), "MMM", locale=reader_locale())),
        start_iso=start.isoformat(),
        when=f"{lines['day']}, {lines['hours']}",
        rule=describe_rule(event.rrule),
        place=location_text(event) or (i18n.gettext("Online") if event.online_url else ""),
        organiser=entry.organiser.name or entry.organiser.username,
        image_url=event.image_url,
        image_alt=event.image_alt or "",
        note=note,
    )
