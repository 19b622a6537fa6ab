"""Days and times typed in forms: ``2027-03-31`` (a date field) or ``31.03.2027`` (by hand), and
local date-times, read only when the calendar can hold them in every time zone (year 1 or
9999, a slip of the keyboard, would otherwise fail to store or to show)."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from federation.parsing import is_kept_day, is_kept_moment

GENEVA = ZoneInfo("Europe/Zurich")


def read_day(raw: str) -> date | None:
    """``2027-03-31`` or ``31.03.2027``; None when it is not a day we keep."""
    try:
        if "." in raw:
            day, month, year = raw.split(".")
            found = date(int(year), int(month), int(day))
        else:
            found = date.fromisoformat(raw)
    except ValueError:
        return None
    return found if is_kept_day(found) else None


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in Geneva: a petition collects, and an offer stands, until
    then."""
    return datetime.combine(day, time(23, 59, 59), GENEVA)


def read_local_moment(raw: str, zone: tzinfo) -> datetime | None:
    """``2027-03-31T18:30`` on the clock of ``zone`` (unless it names its own offset)."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment if is_kept_moment(moment) else None
