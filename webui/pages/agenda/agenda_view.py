"""The agenda's days and month grid as the template prints them: every string made once here.

A month of the city prints ninety items and thirty day cells; building their times, links and
lines in Python, with each translation looked up once a page, costs a fraction of doing it with
template calls item by item. What a person sees is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from commons.agenda.queries import AgendaDay, AgendaItem
from webui import i18n
from webui.formats import count_text, sentence_start
from webui.recurrence_words import describe_rule

GRID_TITLES = 2


@dataclass(frozen=True, slots=True)
class ShownItem:
    start_iso: str
    hours: str
    href: str
    title: str
    is_cancelled: bool
    meta: str


@dataclass(frozen=True, slots=True)
class ShownDay:
    anchor: str
    title: str
    items: list[ShownItem]
    more_href: str | None
    more_label: str


@dataclass(frozen=True, slots=True)
class GridEntry:
    title: str
    href: str
    is_cancelled: bool


@dataclass(frozen=True, slots=True)
class GridCell:
    """A day of the month grid: its first titles, and "+N" for the rest (on the day's page)."""

    number: int
    href: str | None
    count: str
    entries: list[GridEntry]
    more: int
    is_today: bool


class AgendaPrinter:
    """Turns agenda days into what the template prints, for one page."""

    def __init__(
        self,
        path: str,
        filters: dict[str, str],
        *,
        clock: Callable[[datetime], str],
        day_title: Callable[[date], str],
        link: Callable[[AgendaItem], str],
        quartier_of: Callable[[str], str] = str,
    ) -> None:
        self.path = path
        self.filters = filters
        self.clock = clock
        self.day_title = day_title
        self.link = link
        self.quartier_of = quartier_of
        self.repeats = i18n.gettext("repeats")

    def day_href(self, day: date) -> str:
        return f"{self.path}?{urlencode({**self.filters, 'view': 'day', 'date': day.isoformat()})}"

    def item(self, item: AgendaItem) -> ShownItem:
        hours = self.clock(item.start)
        if item.end and item.end.date() == item.start.date():
            hours += "–" + self.clock(item.end)
        meta = item.organiser_name
        if item.place_name or item.locality:
            meta += " · " + (item.place_name or "")
            if item.place_name and item.locality:
                meta += ", "
            meta += item.locality or ""
        if item.is_series:
            meta += " · " + (describe_rule(item.rule) or self.repeats)
        if not item.is_local:
            meta += " · " + self.quartier_of(item.organiser_handle.split("@")[1])
        return ShownItem(
            start_iso=item.start.isoformat(),
            hours=hours,
            href=self.link(item),
            title=item.title,
            is_cancelled=item.is_cancelled,
            meta=meta,
        )

    def days(self, days: Sequence[AgendaDay]) -> list[ShownDay]:
        shown = []
        for day in days:
            hidden = day.hidden
            more = (
                count_text("See all (%(num)s more event)", "See all (%(num)s more events)", hidden)
                if hidden > 0
                else ""
            )
            shown.append(
                ShownDay(
                    anchor=f"day-{day.day.isoformat()}",
                    title=sentence_start(self.day_title(day.day)),
                    items=[self.item(item) for item in day.items],
                    more_href=self.day_href(day.day) if hidden > 0 else None,
                    more_label=more,
                )
            )
        return shown

    def grid(
        self, weeks: Sequence[Sequence[AgendaDay | None]], today: date
    ) -> list[list[GridCell | None]]:
        return [
            [None if cell is None else self.cell(cell, today) for cell in week] for week in weeks
        ]

    def cell(self, day: AgendaDay, today: date) -> GridCell:
        entries = [
            GridEntry(item.title, self.link(item), item.is_cancelled)
            for item in day.items[:GRID_TITLES]
        ]
        return GridCell(
            number=day.day.day,
            href=self.day_href(day.day) if day.total else None,
            count=count_text("%(num)s event", "%(num)s events", day.total) if day.total else "",
            entries=entries,
            more=max(day.total - len(entries), 0),
            is_today=day.day == today,
        )


def first_of_each_series(days: Sequence[AgendaDay]) -> list[AgendaDay]:
    """A list of upcoming dates with each series once, at its first date there (the series'
    page lists the others); days left empty are dropped."""
    seen: set[int] = set()
    kept = []
    for day in days:
        items = []
        for item in day.items:
            if item.is_series:
                if item.event_id in seen:
                    continue
                seen.add(item.event_id)
            items.append(item)
        if items:
            day.items, day.total = items, len(items)
            kept.append(day)
    return kept
