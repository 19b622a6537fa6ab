"""The rule of a series (RFC 5545 RRULE) as a sentence in the reader's language.

Every sentence is a message of the catalogs, with its count chosen by ``ngettext`` (so "every
2 weeks" takes the plural form of each language), and weekday names, lists and dates come from
Babel: adding a language means adding its catalog. A weekday alone has one message per day
("Every Saturday"), because many languages agree the word for "every" with the day's gender.
(The French summary sent to other servers is written by :mod:`commons.events.words`.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from webui import i18n
from webui.formats import format_count, format_day, format_list_of, weekday_name

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _every_weekday() -> dict[str, str]:
    _ = i18n.gettext
    return {
        "MO": _("Every Monday"),
        "TU": _("Every Tuesday"),
        "WE": _("Every Wednesday"),
        "TH": _("Every Thursday"),
        "FR": _("Every Friday"),
        "SA": _("Every Saturday"),
        "SU": _("Every Sunday"),
    }


def _nth_weekday(position: int, interval: int) -> str | None:
    """The message for "on the first/second/…/last <weekday>" of a monthly rule."""
    ngettext = i18n.ngettext
    chosen: dict[int, Callable[[], str]] = {
        1: lambda: ngettext(
            "Every month on the first %(weekday)s",
            "Every %(num)s months on the first %(weekday)s",
            interval,
        ),
        2: lambda: ngettext(
            "Every month on the second %(weekday)s",
            "Every %(num)s months on the second %(weekday)s",
            interval,
        ),
        3: lambda: ngettext(
            "Every month on the third %(weekday)s",
            "Every %(num)s months on the third %(weekday)s",
            interval,
        ),
        4: lambda: ngettext(
            "Every month on the fourth %(weekday)s",
            "Every %(num)s months on the fourth %(weekday)s",
            interval,
        ),
        -1: lambda: ngettext(
            "Every month on the last %(weekday)s",
            "Every %(num)s months on the last %(weekday)s",
            interval,
        ),
    }
    message = chosen.get(position)
    return message() if message else None


def _counted(message: str, interval: int, **names: str) -> str:
    return message % {"num": format_count(interval), **names}


def rule_parts(rule: str) -> dict[str, str]:
    """``FREQ=WEEKLY;BYDAY=SA`` as ``{"FREQ": "WEEKLY", "BYDAY": "SA"}`` (an ``RRULE:`` prefix
    is allowed)."""
    text = rule.strip().upper().removeprefix("RRULE:")
    return {key: value for key, _, value in (p.partition("=") for p in text.split(";") if p)}


def _weekday_index(code: str) -> int | None:
    return WEEKDAY_CODES.index(code) if code in WEEKDAY_CODES else None


def _weekly(days: list[str], interval: int) -> str:
    ngettext = i18n.ngettext
    indexes = [i for i in (_weekday_index(d) for d in days) if i is not None]
    if not indexes:
        return _counted(ngettext("Every week", "Every %(num)s weeks", interval), interval)
    if len(indexes) == 1 and interval == 1:
        return _every_weekday()[WEEKDAY_CODES[indexes[0]]]
    message = ngettext("Every week on %(days)s", "Every %(num)s weeks on %(days)s", interval)
    return _counted(message, interval, days=format_list_of([weekday_name(i) for i in indexes]))


def _monthly(parts: dict[str, str], days: list[str], interval: int) -> str:
    ngettext = i18n.ngettext
    if len(days) == 1 and (index := _weekday_index(days[0][-2:])) is not None:
        position = days[0][:-2] or parts.get("BYSETPOS", "")
        if position.lstrip("+-").isdecimal() and (message := _nth_weekday(int(position), interval)):
            return _counted(message, interval, weekday=weekday_name(index))
    if parts.get("BYMONTHDAY", "").isdecimal():
        day = format_count(int(parts["BYMONTHDAY"]))
        message = ngettext(
            "Every month on day %(day)s", "Every %(num)s months on day %(day)s", interval
        )
        return _counted(message, interval, day=day)
    return _counted(ngettext("Every month", "Every %(num)s months", interval), interval)


def _until(value: str) -> date | None:
    digits = value[:8]
    if len(digits) != 8 or not digits.isdecimal():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def describe_rule(rule: str | None) -> str | None:
    """``Every Saturday``, ``Every 2 weeks on Monday and Thursday``, ``Every month on the first
    Saturday, until December 19, 2027``… in the reader's language; a generic phrase for the
    rules this does not put in words."""
    if not rule:
        return None
    ngettext = i18n.ngettext
    parts = rule_parts(rule)
    interval_text = parts.get("INTERVAL", "")
    interval = int(interval_text) if interval_text.isdecimal() and int(interval_text) > 0 else 1
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    match parts.get("FREQ"):
        case "DAILY":
            words = _counted(ngettext("Every day", "Every %(num)s days", interval), interval)
        case "WEEKLY":
            words = _weekly(days, interval)
        case "MONTHLY":
            words = _monthly(parts, days, interval)
        case "YEARLY":
            words = _counted(ngettext("Every year", "Every %(num)s years", interval), interval)
        case _:
            return i18n.gettext("Recurring event")
    if parts.get("COUNT", "").isdecimal():
        count = int(parts["COUNT"])
        message = ngettext("%(rule)s, once", "%(rule)s, %(num)s times", count)
        return message % {"rule": words, "num": format_count(count)}
    if until := _until(parts.get("UNTIL", "")):
        return i18n.gettext("%(rule)s, until %(date)s") % {"rule": words, "date": format_day(until)}
    return words
