"""What an agenda view asks for and shows: which events, a window of local days, the items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, Select, String, bindparam, func, or_, select, true

from commons.events.dates import LONG_DATE
from commons.events.expansion import zone_of
from storage.blocks import limited_actor_ids
from storage.models import Actor, Event, EventOccurrence, Share
from storage.models.shares import SHARE_SHARED

LONGEST_EVENT = timedelta(days=31)
"""Dates that started this long before a window are not looked for (an index range)."""
CARRY = LONG_DATE
"""Dates begun less than this before a window are looked for among all dates; earlier ones
among the long ones only (``is_long``: longer than this)."""


@dataclass(frozen=True, slots=True)
class AgendaQuery:
    """Which events: only ours (``local_only``), one organiser's, one category, located ones,
    none by actors of the ``left_out`` domains, only those by actors of the ``quartier`` domain.
    The city's agenda (neither ours only nor one organiser's) leaves out limited domains.

    ``with_shared``: the organiser is a collective, and the events it shares are its too.

    ``bound`` queries stand for every query of their shape: their organiser and category are
    bound parameters (``values()`` of the real query gives them), for statements built once.
    """

    local_only: bool = False
    actor_id: int | None = None
    category: str | None = None
    located: bool = False
    left_out: tuple[str, ...] = ()
    quartier: str | None = None
    bound: bool = False
    with_shared: bool = False

    def placeholders(self) -> AgendaQuery:
        return AgendaQuery(
            local_only=self.local_only,
            actor_id=0 if self.actor_id is not None else None,
            category="" if self.category else None,
            located=self.located,
            left_out=("",) if self.left_out else (),
            quartier="" if self.quartier is not None else None,
            bound=True,
            with_shared=self.with_shared,
        )

    def values(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.actor_id is not None:
            found["actor_id"] = self.actor_id
        if self.category:
            found["category"] = self.category
        if self.left_out:
            found["left_out"] = list(self.left_out)
        if self.quartier is not None:
            found["quartier"] = self.quartier
        return found

    def _by_domain(self, actor_id: Any) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.left_out:
            domains = (
                bindparam("left_out", expanding=True, type_=String())
                if self.bound
                else self.left_out
            )
            found.append(actor_id.not_in(select(Actor.id).where(Actor.domain.in_(domains))))
        if self.quartier is not None:
            domain = bindparam("quartier", type_=String()) if self.bound else self.quartier
            found.append(actor_id.in_(select(Actor.id).where(Actor.domain == domain)))
        return found

    def _actor(self) -> Any:
        return bindparam("actor_id", type_=Integer()) if self.bound else self.actor_id

    def _shared(self) -> Select[int]:
        """The ids of the events the collective shares (:mod:`storage.models.shares`)."""
        return (
            select(Event.id)
            .join(Share, Share.object_uri == Event.uri)
            .where(Share.group_id == self._actor(), Share.state == SHARE_SHARED)
        )

    def _category(self) -> Any:
        return bindparam("category", type_=String()) if self.bound else self.category

    @property
    def _by_category(self) -> bool:
        return self.category is not None if self.bound else bool(self.category)

    def conditions(self) -> list[ColumnElement[bool]]:
        """On ``events``."""
        found: list[ColumnElement[bool]] = [Event.deleted_at.is_(None)]
        if self.local_only:
            found.append(Event.is_local.is_(True))
        elif self.actor_id is None:
            found.append(Event.actor_id.not_in(limited_actor_ids()))
        if self.actor_id is not None:
            own = Event.actor_id == self._actor()
            found.append(or_(own, Event.id.in_(self._shared())) if self.with_shared else own)
        if self._by_category:
            found.append(Event.category == self._category())
        if self.located:
            found.extend((Event.latitude.is_not(None), Event.longitude.is_not(None)))
        # ``+ 0``: SQLite would otherwise read the quartier's events by organiser (its index
        # on actor_id) for every row of a window; the window's own index is the short path.
        found.extend(self._by_domain(Event.actor_id + 0))
        return found

    def recent(self, start: Any, end: Any, carry: Any) -> list[ColumnElement[bool]]:
        """On ``event_occurrences``: the dates overlapping [start, end) that began from
        ``carry`` (a day before ``start``); with :meth:`carried`, every date overlapping the
        window, each part read on a short index range. Moments or bound parameters."""
        return [
            EventOccurrence.start_time < end,
            EventOccurrence.start_time >= carry,
            finish() >= start,
            *self.filters(),
        ]

    def carried(self, start: Any, carry: Any, earliest: Any) -> list[ColumnElement[bool]]:
        """Long dates begun between ``earliest`` and ``carry`` and still running at ``start``."""
        return [
            EventOccurrence.is_long == true(),
            EventOccurrence.start_time >= earliest,
            EventOccurrence.start_time < carry,
            EventOccurrence.end_time >= start,
            *self.filters(),
        ]

    def filters(self) -> list[ColumnElement[bool]]:
        """On ``event_occurrences``, which copies these columns of its event."""
        found: list[ColumnElement[bool]] = []
        if self.local_only:
            found.append(EventOccurrence.is_local.is_(True))
        elif self.actor_id is None:
            found.append(EventOccurrence.actor_id.not_in(limited_actor_ids()))
        if self.actor_id is not None:
            own = EventOccurrence.actor_id == self._actor()
            shared = EventOccurrence.event_id.in_(self._shared())
            found.append(or_(own, shared) if self.with_shared else own)
        if self._by_category:
            found.append(EventOccurrence.category == self._category())
        found.extend(self._by_domain(EventOccurrence.actor_id))
        return found


def finish() -> ColumnElement[datetime]:
    """When a date is over (its start when it has no end)."""
    return func.coalesce(EventOccurrence.end_time, EventOccurrence.start_time)


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One occurrence to show: a one-off event, or one date of a series."""

    event_id: int
    uri: str
    url: str | None
    title: str
    start: datetime
    end: datetime | None
    timezone: str
    status: str
    category: str | None
    place_name: str | None
    locality: str | None
    is_local: bool
    is_series: bool
    organiser_name: str
    organiser_handle: str
    rule: str | None = None

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def occurrence_date(self) -> date:
        return self.start.astimezone(zone_of(self.timezone)).date()

    def link(self, base_url: str) -> str:
        """Our page of the event (per occurrence for a series): another server's event too has
        one here, where residents answer it and find the link to its origin."""
        prefix = f"{base_url}/events/"
        if self.is_local and self.uri.startswith(prefix):
            path = self.uri[len(base_url) :]
        else:
            path = f"/events/remote/{self.event_id}"
        if self.is_series:
            return f"{path}/occurrences/{self.occurrence_date.isoformat()}"
        return path


def web_url(*candidates: str | None) -> str:
    """The first http(s) address (a remote ``url`` may be anything, ``javascript:`` included)."""
    for candidate in candidates:
        if candidate and candidate.lower().startswith(("https://", "http://")):
            return candidate
    return "#"


@dataclass(slots=True)
class AgendaDay:
    day: date
    items: list[AgendaItem] = field(default_factory=list)
    total: int = 0

    @property
    def hidden(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True, slots=True)
class Window:
    """Local days [first, last] in ``zone``, with their UTC bounds."""

    first: date
    days: int
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.first + timedelta(days=self.days), self.zone)

    def boundaries(self) -> list[datetime]:
        """The UTC start of every day after the first (what separates the day buckets)."""
        return [
            local_midnight(self.first + timedelta(days=n), self.zone) for n in range(1, self.days)
        ]


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
