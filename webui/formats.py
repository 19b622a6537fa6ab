"""Dates, times and numbers as the reader's language writes them, in a given time zone.

Every page goes through these helpers instead of ``strftime`` or Babel calls of its own, so a new
language needs only its catalog: the forms (order of day and month, 12- or 24-hour clock, digit
grouping, list words) come from Babel's CLDR data for the reader's locale, never from code that
knows one language. Moments are stored in UTC and shown in the zone they are given (the
instance's, or an event's own).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    get_datetime_format,
    get_day_names,
)
from babel.lists import format_list
from babel.numbers import format_decimal

from webui import i18n

FORMS_OF = {"pt": "pt_PT"}
"""Languages whose dates and numbers are written as in one country rather than as Babel's plain
locale writes them: its ``pt`` is Brazil's ("sáb., 5 de dez."), while the Portuguese-speaking
residents of Geneva mostly come from Portugal and read "sábado, 5/12"."""


@functools.lru_cache(maxsize=32)
def _parsed(identifier: str) -> Locale:
    return Locale.parse(identifier)


def reader_locale() -> Locale:
    """The locale of the page being rendered: its language, in the forms its readers use
    (parsed once: a month of the agenda formats a hundred dates and counts)."""
    language = i18n.current_locale.get()
    return _parsed(FORMS_OF.get(language, language))


def sentence_start(text: str) -> str:
    """``text`` with its first letter as a sentence begins (only that letter changes).

    ``str.capitalize`` would lower every other letter: "Saturday, december 5".
    """
    return text[:1].upper() + text[1:]


def format_count(number: int) -> str:
    """``12 345`` in French, ``12,345`` in English."""
    return _count_in(number, reader_locale())


@functools.lru_cache(maxsize=4096)
def _count_in(number: int, locale: Locale) -> str:
    # Pages print the same small counts over and over (a month of the agenda, ninety of them).
    return str(format_decimal(number, locale=locale))


def format_ratio(value: float) -> str:
    """A ratio with one decimal: ``1,8`` in French, ``1.8`` in English."""
    return str(format_decimal(value, format="0.0", locale=reader_locale()))


def count_text(singular: str, plural: str, number: int) -> str:
    """A plural message (``%(num)s``) with the form and the digits of the reader's language."""
    return i18n.ngettext(singular, plural, number) % {"num": format_count(number)}


def format_list_of(items: Sequence[str]) -> str:
    """``lundi et jeudi``, ``Monday and Thursday``: the list words of the reader's language."""
    return str(format_list(list(items), locale=reader_locale()))


def weekday_name(index: int) -> str:
    """The name of a weekday (0 is Monday) as it reads inside a sentence."""
    return str(get_day_names("wide", context="format", locale=reader_locale())[index])


def format_day(day: date, *, with_weekday: bool = True) -> str:
    """``samedi 5 décembre 2026``, ``Saturday, December 5, 2026`` (inside a sentence);
    ``5 décembre 2026`` without the weekday."""
    return str(format_date(day, "full" if with_weekday else "long", locale=reader_locale()))


def format_short_day(day: date) -> str:
    """``sam. 5``, ``Sat 5``: a day in a month grid or a week."""
    return str(format_skeleton("Ed", day, locale=reader_locale()))


def format_month(day: date) -> str:
    """``Décembre 2026``, ``December 2026``: the title of a month."""
    return sentence_start(str(format_skeleton("yMMMM", day, locale=reader_locale())))


def format_clock(moment: datetime, zone: ZoneInfo) -> str:
    """``15:04``, ``3:04 PM``."""
    return str(format_time(moment.astimezone(zone), "short", locale=reader_locale()))


def _clock_skeleton() -> str:
    """Hours and minutes on the reader's clock: 12-hour when their short time format is."""
    pattern = Locale.parse(reader_locale()).time_formats["short"].pattern
    return "hm" if "h" in pattern or "K" in pattern else "Hm"


def format_hours(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    """``10:00 – 16:00``, ``10:00 AM – 4:00 PM``: the hours of one day, or its start alone."""
    local_start = start.astimezone(zone)
    if end is None:
        return format_clock(start, zone)
    local_end = end.astimezone(zone)
    return str(
        format_interval(
            local_start.replace(tzinfo=None).time(),
            local_end.replace(tzinfo=None).time(),
            _clock_skeleton(),
            locale=reader_locale(),
        )
    )


def _joined(form: Literal["full", "medium"], day: str, clock: str) -> str:
    """A day and a time joined as the locale joins them (``{1}, {0}``; quotes mark literals)."""
    pattern = str(get_datetime_format(form, locale=reader_locale())).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", clock)


def format_moment(moment: datetime, zone: ZoneInfo) -> str:
    """``5 déc. 2026, 15:04``, ``Dec 5, 2026, 3:04 PM``: when something was written or done."""
    locale = reader_locale()
    local = moment.astimezone(zone)
    day = str(format_skeleton("yMMMd", local, locale=locale))
    clock = str(format_time(local, "short", locale=locale))
    return _joined("medium", day, clock)


def format_full_moment(moment: datetime, zone: ZoneInfo) -> str:
    """``samedi 5 décembre 2026, 15:04``: a date people plan by, with its weekday."""
    locale = reader_locale()
    local = moment.astimezone(zone)
    day = format_day(local.date())
    clock = str(format_time(local, "short", locale=locale))
    return _joined("full", day, clock)
