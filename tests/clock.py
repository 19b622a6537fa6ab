"""Dates relative to now, so that no test depends on the day it runs.

Series and one-off events of the tests start on the Saturday of next week at 10:00 in Geneva;
``weekday_ahead`` gives other days the same way. A test that needs a date "in the past" takes it
relative to these too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

GENEVA = ZoneInfo("Europe/Zurich")
SATURDAY = 5


def weekday_ahead(weekday: int, *, hour: int = 10, weeks: int = 1) -> datetime:
    """``hour``:00 in Geneva on ``weekday`` (0 is Monday) of the week ``weeks`` from now, in UTC."""
    today = datetime.now(GENEVA).replace(hour=hour, minute=0, second=0, microsecond=0)
    days = (weekday - today.weekday()) % 7 + 7 * weeks
    local = today + timedelta(days=days)
    # Arithmetic on an aware datetime keeps the wall clock: re-attach the zone for DST days.
    return local.replace(tzinfo=GENEVA).astimezone(UTC)


def next_week_saturday(hour: int = 10) -> datetime:
    """``hour``:00 in Geneva on the Saturday of next week (dates to come, whenever this runs)."""
    return weekday_ahead(SATURDAY, hour=hour)


def form_value(moment: datetime, zone: ZoneInfo = GENEVA) -> str:
    """What a ``datetime-local`` field holds for ``moment`` in ``zone`` (``2027-03-06T10:00``)."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def local_day(moment: datetime, zone: ZoneInfo = GENEVA) -> str:
    """The ISO date of ``moment`` in ``zone``, as the pages of one date name it."""
    return moment.astimezone(zone).date().isoformat()
