"""The signatures of a petition over time, as bars drawn by the server (an SVG, no JavaScript),
one a day — or one a week when it collects longer than :data:`MOST_DAYS` — with the same numbers
written out for whoever cannot see the bars."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from webui import formats, i18n

GENEVA = ZoneInfo("Europe/Zurich")
MOST_DAYS = 62
FEWEST_DAYS = 14
"""A chart spans two weeks at least (the days to come left empty), so one day is no wall."""
BAR_STEP = 10
BAR_WIDTH = 8
HEIGHT = 100
TOP_MARGIN = 6


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    count: int
    x: int
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    by_week: bool
    summary: str

    @property
    def rows(self) -> list[Bar]:
        """The bars with signatures: the table under the chart lists only those."""
        return [bar for bar in self.bars if bar.count]


def _period_start(day: date, by_week: bool) -> date:
    return day - timedelta(days=day.weekday()) if by_week else day


def signature_chart(moments: Sequence[datetime], first: date, last: date) -> Chart | None:
    """Bars from ``first`` to ``last`` (days in Geneva); None without a signature."""
    if not moments:
        return None
    days = [moment.astimezone(GENEVA).date() for moment in moments]
    first, last = min(first, *days), max(last, *days)
    by_week = (last - first).days + 1 > MOST_DAYS
    step = timedelta(days=7 if by_week else 1)
    counts = Counter(_period_start(day, by_week) for day in days)
    periods = []
    period = _period_start(first, by_week)
    while period <= last:
        periods.append(period)
        period += step
    most = max(counts.values())
    bars = []
    for index, period in enumerate(periods):
        count = counts.get(period, 0)
        height = (HEIGHT - TOP_MARGIN) * count / most
        label = formats.format_day(period, with_weekday=not by_week)
        if by_week:
            label = i18n.gettext("week of %(day)s") % {"day": label}
        bars.append(Bar(label, count, index * BAR_STEP + 1, HEIGHT - height, height))
    busiest = max(bars, key=lambda bar: bar.count)
    if by_week:
        summary = i18n.ngettext(
            "The busiest week: %(num)s signature, %(day)s.",
            "The busiest week: %(num)s signatures, %(day)s.",
            busiest.count,
        )
    else:
        summary = i18n.ngettext(
            "The busiest day: %(num)s signature, %(day)s.",
            "The busiest day: %(num)s signatures, %(day)s.",
            busiest.count,
        )
    text = summary % {"num": formats.format_count(busiest.count), "day": busiest.label}
    return Chart(bars, len(bars) * BAR_STEP, HEIGHT, by_week, text)
