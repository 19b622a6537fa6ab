"""The summary of an event in French words, for people who read it alone in Mastodon.

Mastodon shows an Event as ``name`` + ``summary`` + a link: the summary carries the date and time
in the event's zone, the place, how to take part and, for a series, its rule in words and the
next dates (``Chaque samedi, 10:00–16:00 · Prochaines dates : …``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

from commons.events.recurrence import Occurrence
from storage.models import Event
from storage.models.events import CANCELLED, JOIN_EXTERNAL, JOIN_FREE

WEEKDAYS = {
    "MO": "lundi",
    "TU": "mardi",
    "WE": "mercredi",
    "TH": "jeudi",
    "FR": "vendredi",
    "SA": "samedi",
    "SU": "dimanche",
}
ORDINALS = {1: "premier", 2: "deuxième", 3: "troisième", 4: "quatrième", -1: "dernier"}


def french_day(moment: datetime, *, with_year: bool = True) -> str:
    text = format_date(moment.date(), "EEEE d MMMM y" if with_year else "EEEE d MMMM", "fr")
    return text[:1].upper() + text[1:]


def french_time(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def french_when(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    """``Samedi 6 décembre 2026, 10:00–16:00`` in the event's time zone."""
    local_start = start.astimezone(zone)
    text = f"{french_day(local_start)}, {french_time(local_start)}"
    if end is None:
        return text
    local_end = end.astimezone(zone)
    if local_end.date() == local_start.date():
        return f"{text}–{french_time(local_end)}"
    return f"{text} – {french_day(local_end).lower()}, {french_time(local_end)}"


def describe_rule(rule: str | None) -> str | None:
    """The common rules in words (``Chaque samedi``); a generic phrase for the others."""
    if not rule:
        return None
    parts = dict(part.partition("=")[::2] for part in rule.upper().split(";") if part)
    interval = int(parts["INTERVAL"]) if parts.get("INTERVAL", "").isdecimal() else 1
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    frequency = parts.get("FREQ")
    if frequency == "DAILY":
        return "Chaque jour" if interval == 1 else f"Tous les {interval} jours"
    if frequency == "WEEKLY":
        names = [WEEKDAYS[d] for d in days if d in WEEKDAYS]
        if not names:
            return "Chaque semaine" if interval == 1 else f"Toutes les {interval} semaines"
        listed = ", ".join(names[:-1]) + (" et " if len(names) > 1 else "") + names[-1]
        if interval == 1:
            return f"Chaque {listed}"
        if interval == 2:
            return f"Un {listed} sur deux"
        return f"Toutes les {interval} semaines, le {listed}"
    if frequency == "MONTHLY":
        prefix = "Chaque mois" if interval == 1 else f"Tous les {interval} mois"
        if len(days) == 1 and days[0][-2:] in WEEKDAYS:
            position = days[0][:-2] or parts.get("BYSETPOS", "")
            ordinal = ORDINALS.get(int(position)) if position.lstrip("+-").isdecimal() else None
            if ordinal:
                return f"{prefix}, le {ordinal} {WEEKDAYS[days[0][-2:]]}"
        if parts.get("BYMONTHDAY", "").isdecimal():
            return f"{prefix}, le {parts['BYMONTHDAY']}"
        return prefix
    if frequency == "YEARLY":
        return "Chaque année" if interval == 1 else f"Tous les {interval} ans"
    return "Événement récurrent"


def place_line(event: Event) -> str:
    """``Maison de quartier des Pâquis, rue de Berne 50, 1201 Genève`` (or ``En ligne``)."""
    town = " ".join(part for part in (event.postal_code, event.locality) if part)
    parts = [p for p in (event.place_name, event.street_address, town) if p]
    if parts:
        return ", ".join(parts)
    return "En ligne" if event.online_url else ""


def taking_part_line(event: Event) -> str:
    if event.status == CANCELLED:
        return ""
    if event.join_mode == JOIN_EXTERNAL:
        return "Inscription sur le site de l'organisation"
    words = "Entrée libre" if event.join_mode == JOIN_FREE else "Sur inscription"
    if event.capacity is not None:
        remaining = max(event.capacity - event.participant_count, 0)
        words += " · complet" if remaining == 0 else f" · {remaining} places restantes"
    return words


def build_summary(event: Event, upcoming: Sequence[Occurrence] = ()) -> str:
    """A French summary that reads well alone: the first thing a Mastodon user sees."""
    zone = ZoneInfo(event.timezone)
    pieces: list[str] = []
    rule_words = describe_rule(event.rrule)
    if rule_words and upcoming:
        first = upcoming[0]
        hours = french_time(first.start.astimezone(zone))
        if first.end is not None:
            hours += f"–{french_time(first.end.astimezone(zone))}"
        dates = ", ".join(french_day(o.start.astimezone(zone)).lower() for o in upcoming)
        pieces.append(f"{rule_words}, {hours} · Prochaines dates : {dates}")
    else:
        pieces.append(french_when(event.start_time, event.end_time, zone))
    pieces += [line for line in (place_line(event), taking_part_line(event)) if line]
    text = " · ".join(pieces)
    if event.status == CANCELLED:
        text = f"ANNULÉ — {text}"
    return f"<p>{html.escape(text)}</p>"
