"""Agenda feeds: iCalendar (RFC 5545) for calendar apps, Atom for feed readers.

iCalendar values are encoded by ``icalendar`` (text escaping, recurrence rules, the VTIMEZONE
built from the zone database); the content lines are assembled and folded here, because
icalendar's generic component writer takes about 0.25 ms an event, too slow for a city feed.
Each event keeps its ``uri`` as UID, so a calendar app updates it instead of duplicating it;
times carry the organiser's TZID, and a series keeps its RRULE and EXDATE so the app repeats it.

``icalendar`` and ``feedgen`` (with lxml, about 9 MB together) are imported by the functions
that write feeds, on the first feed asked for: a server at rest does not hold them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import nh3

from commons.events.expansion import exdate_dates, zone_of
from storage.models import Actor, Event
from storage.models.events import CANCELLED, TENTATIVE

PRODID = "-//Quartiers Collaboratifs//Agenda//FR"
FOLD_OCTETS = 75
VTIMEZONE_FROM = date(2000, 1, 1)
VTIMEZONE_UNTIL = date(2038, 1, 1)
BREAKS = re.compile(r"</p>|<br\s*/?>|</li>|</h[1-6]>|</blockquote>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One VEVENT: an event, or a single occurrence of a series (``occurrence`` set)."""

    event: Event
    organiser: Actor
    page_url: str
    occurrence: datetime | None = None


def plain_text(event: Event) -> str:
    """The description as plain text for calendar apps: the rendered HTML (of our Markdown or
    of another server) without its tags, a paragraph or a list item a line."""
    if not event.description_html:
        return (event.description_source or "").strip()
    marked = BREAKS.sub("\n", event.description_html.replace("<li>", "<li>• "))
    text = html.unescape(nh3.clean(marked, tags=set()))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def location_text(event: Event) -> str:
    locality = " ".join(part for part in (event.postal_code, event.locality) if part)
    parts = (event.place_name, event.street_address, locality or None)
    return ", ".join(part for part in parts if part)


# iCalendar


def fold(line: str) -> bytes:
    """One content line, folded at 75 octets without cutting a UTF-8 sequence (RFC 5545 3.1)."""
    raw = line.encode()
    if len(raw) <= FOLD_OCTETS:
        return raw + b"\r\n"
    pieces: list[bytes] = []
    position, limit = 0, FOLD_OCTETS
    while position < len(raw):
        cut = min(position + limit, len(raw))
        while cut < len(raw) and (raw[cut] & 0xC0) == 0x80:
            cut -= 1
        pieces.append(raw[position:cut])
        position, limit = cut, FOLD_OCTETS - 1
    return b"\r\n ".join(pieces) + b"\r\n"


def _text(value: str) -> str:
    from icalendar import vText

    return vText(value).to_ical().decode()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(name: str, moment: datetime, zone: ZoneInfo, tzid: str) -> str:
    return f"{name};TZID={tzid}:{moment.astimezone(zone).strftime('%Y%m%dT%H%M%S')}"


@lru_cache(maxsize=16)
def vtimezone(tzid: str) -> bytes:
    """The VTIMEZONE of a zone, from the zone database (computed once per process)."""
    from icalendar import Timezone

    component = Timezone.from_tzinfo(
        ZoneInfo(tzid), tzid=tzid, first_date=VTIMEZONE_FROM, last_date=VTIMEZONE_UNTIL
    )
    return bytes(component.to_ical())


def _rule(text: str) -> str | None:
    from icalendar import vRecur

    try:
        encoded: bytes = vRecur.from_ical(text.removeprefix("RRULE:")).to_ical()
    except ValueError:
        return None
    return encoded.decode()


def tzid_of(event: Event) -> str:
    """The organiser's zone, or Geneva's when the stored name is unknown."""
    return event.timezone if zone_of(event.timezone).key == event.timezone else "Europe/Zurich"


def vevent_lines(entry: FeedEntry, *, stamp: datetime) -> list[str]:
    event = entry.event
    tzid = tzid_of(event)
    zone = zone_of(tzid)
    modified = event.updated or event.published
    start, end = event.start_time, event.end_time
    uid = event.uri
    if entry.occurrence is not None:
        # One date of a series stands alone, with the date's id as its UID, rather than as a
        # RECURRENCE-ID override: an override without its series' RRULE event in the same
        # calendar is dropped or misplaced by several calendar apps (Google Calendar, Outlook),
        # while a plain VEVENT shows everywhere.
        if end is not None:
            end = entry.occurrence + (end - start)
        start = entry.occurrence
        uid = f"{event.uri}/occurrences/{start.astimezone(zone).date().isoformat()}"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_text(uid)}",
        f"DTSTAMP:{_utc(stamp)}",
        f"LAST-MODIFIED:{_utc(modified)}",
        _local("DTSTART", start, zone, tzid),
    ]
    if end is not None:
        lines.append(_local("DTEND", end, zone, tzid))
    if event.rrule and entry.occurrence is None and (rule := _rule(event.rrule)):
        lines.append(f"RRULE:{rule}")
        local_start = start.astimezone(zone)
        skipped = [
            datetime.combine(day, local_start.time(), tzinfo=zone)
            for day in exdate_dates(event.exdates)
        ]
        if skipped:
            values = ",".join(moment.strftime("%Y%m%dT%H%M%S") for moment in skipped)
            lines.append(f"EXDATE;TZID={tzid}:{values}")
    lines.append(f"SUMMARY:{_text(event.title)}")
    description = plain_text(event)
    if description:
        lines.append(f"DESCRIPTION:{_text(description)}")
    location = location_text(event) or event.online_url
    if location:
        lines.append(f"LOCATION:{_text(location)}")
    if event.latitude is not None and event.longitude is not None:
        lines.append(f"GEO:{event.latitude:.6f};{event.longitude:.6f}")
    lines.append(f"URL:{entry.page_url}")
    organiser = entry.organiser
    lines.append(f"ORGANIZER;CN={_param(organiser.name or organiser.username)}:{organiser.uri}")
    if event.category:
        lines.append(f"CATEGORIES:{_text(event.category)}")
    status = {CANCELLED: "CANCELLED", TENTATIVE: "TENTATIVE"}.get(event.status, "CONFIRMED")
    lines.append(f"STATUS:{status}")
    lines.append("END:VEVENT")
    return lines


def _param(value: str) -> str:
    """A parameter value: quoted, without the characters a quoted value cannot hold."""
    cleaned = "".join(char for char in value if char not in '"\r\n' and ord(char) >= 0x20)
    return f'"{cleaned}"'


def build_calendar(
    entries: Iterable[FeedEntry], *, name: str, now: datetime | None = None
) -> bytes:
    """A whole VCALENDAR, with one VTIMEZONE per zone the events use."""
    stamp = now or datetime.now(UTC)
    body: list[bytes] = []
    zones: set[str] = set()
    for entry in entries:
        zones.add(tzid_of(entry.event))
        body.extend(fold(line) for line in vevent_lines(entry, stamp=stamp))
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(name)}",
        "X-WR-TIMEZONE:Europe/Zurich",
    ]
    parts = [fold(line) for line in head]
    parts.extend(vtimezone(tzid) for tzid in sorted(zones or {"Europe/Zurich"}))
    parts.extend(body)
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)


# Atom


@dataclass(frozen=True, slots=True)
class AtomFeed:
    feed_id: str
    title: str
    page_url: str
    feed_url: str
    language: str


def build_atom(
    feed: AtomFeed,
    entries: Sequence[FeedEntry],
    *,
    summarise: Callable[[FeedEntry], str],
    now: datetime | None = None,
) -> bytes:
    """An Atom feed of upcoming events, each entry with a readable date and place."""
    from feedgen.feed import FeedGenerator

    generator = FeedGenerator()
    generator.id(feed.feed_id)
    generator.title(feed.title)
    generator.link(href=feed.page_url, rel="alternate", type="text/html")
    generator.link(href=feed.feed_url, rel="self", type="application/atom+xml")
    generator.language(feed.language)
    generator.generator("Quartiers Collaboratifs")
    latest = max(
        (entry.event.updated or entry.event.published for entry in entries),
        default=now or datetime.now(UTC),
    )
    generator.updated(latest)
    for entry in reversed(entries):
        event = entry.event
        item = generator.add_entry()
        item.id(event.uri)
        item.title(event.title)
        item.link(href=entry.page_url, rel="alternate", type="text/html")
        item.published(event.published)
        item.updated(event.updated or event.published)
        item.author({"name": entry.organiser.name or entry.organiser.username})
        if event.category:
            item.category(term=event.category)
        item.summary(summarise(entry))
        description = plain_text(event)
        if description:
            item.content(description, type="text")
    return bytes(generator.atom_str(pretty=False))
