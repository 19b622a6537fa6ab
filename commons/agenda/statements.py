"""The statements of the agenda: windows of dates read from ``event_occurrences``.

The month and week views run one statement built once per shape of query (which filters, how
many days, which database), its day bounds and filter values bound as parameters: building
thirty subqueries costs more than running them. A window is read in two parts, the dates begun
since the day before it and the long dates begun earlier (see ``AgendaQuery.recent``), so that
each part is a short range of an index.
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from commons.agenda.window import CARRY, LONGEST_EVENT, AgendaQuery
from storage.models import Actor, Event, EventOccurrence
from storage.models.base import UTCDateTime

Occ = EventOccurrence

ITEM_COLUMNS = (
    Event.id,
    Event.uri,
    Event.url,
    Event.title,
    Event.timezone,
    Event.status,
    Event.category,
    Event.place_name,
    Event.locality,
    Event.is_local,
    Event.rrule,
    Actor.name,
    Actor.username,
    Actor.domain,
)


def dates_in(query: AgendaQuery, start: Any, end: Any, *columns: Any) -> Select[Any]:
    """``columns`` of the dates overlapping [start, end) that ``query`` wants (the recent ones
    and the long ones carried from before ``start``, read apart: see :meth:`recent`)."""
    carry = start - CARRY
    parts = [
        query.recent(start, end, carry),
        query.carried(start, carry, start - LONGEST_EVENT),
    ]
    selects = []
    for conditions in parts:
        statement = select(*columns).select_from(Occ).where(*conditions)
        if query.located:
            statement = statement.join(Event, Event.id == Occ.event_id).where(*query.conditions())
        selects.append(statement)
    return select(union_all(*selects).subquery())


@lru_cache(maxsize=256)
def first_of_each_day(shape: AgendaQuery, days: int, per_day: int, dialect: str) -> Select[Any]:
    """The first ``per_day`` dates of each of ``days`` days, with each day's count, and their
    events and organisers; the day bounds and the filter values are bound parameters.

    One small index range per day (``ORDER BY start_time, event_id LIMIT per_day`` on the
    window index, which is in that order) beats ranking every date of a month with a window
    function: that sorts thousands of rows twice to keep ninety. The first day is read in two
    parts: dates begun since the day before, and long dates begun earlier (``is_long``), so
    that looking a month back for them reads the few long ones only. PostgreSQL reads the other
    days with one ``LATERAL`` subquery over the days given as arrays (a union of thirty
    subqueries takes it longer to plan than to run); SQLite, which has no ``LATERAL``, with a
    union. The
    statement is built once per shape of query: building it costs more than running it.
    """
    moment = partial(bindparam, type_=UTCDateTime())
    first_day = [
        shape.recent(moment("day_0"), moment("day_1"), moment("carry")),
        shape.carried(moment("day_0"), moment("carry"), moment("earliest")),
    ]
    parts = [
        _firsts(shape, conditions, per_day, bucket=literal_column("0"), part=part)
        for part, conditions in enumerate(first_day)
    ]
    if dialect == "postgresql" and days > 1:
        day = (
            func.unnest(
                bindparam("day_buckets", type_=ARRAY(Integer())),
                bindparam("day_lows", type_=ARRAY(DateTime(timezone=True))),
                bindparam("day_highs", type_=ARRAY(DateTime(timezone=True))),
            )
            .table_valued("bucket", "low", "high")
            .render_derived(name="day")
        )
        each = _firsts(
            shape,
            [Occ.start_time >= day.c.low, Occ.start_time < day.c.high, *shape.filters()],
            per_day,
            bucket=day.c.bucket,
            part=day.c.bucket + 1,
            correlated=day,
        ).lateral("each_day")
        parts.append(select(each.c).select_from(day).join(each, true()))
    else:
        parts += [
            _firsts(shape, [Occ.start_time >= moment(f"day_{index}"),
                            Occ.start_time < moment(f"day_{index + 1}"), *shape.filters()],
                    per_day, bucket=literal_column(str(index)), part=index + 1)
            for index in range(1, days)
        ]  # fmt: skip
    daily = union_all(*parts).subquery()
    beyond = beyond_count(shape, moment(f"day_{days}"))
    columns: tuple[Any, ...] = (*ITEM_COLUMNS, daily.c.at, daily.c.until, daily.c.bucket,
                                daily.c.part, daily.c.total, beyond)  # fmt: skip
    return (
        select(*columns)
        .select_from(daily)
        .join(Event, Event.id == daily.c.event_id)
        .join(Actor, Actor.id == Event.actor_id)
    )


def _firsts(
    shape: AgendaQuery,
    conditions: list[ColumnElement[bool]],
    per_day: int,
    *,
    bucket: Any,
    part: Any,
    correlated: Any = None,
) -> Any:
    """The first ``per_day`` dates meeting ``conditions``, with how many do."""
    if shape.located:
        conditions = [*conditions, Occ.event_id.in_(select(Event.id).where(*shape.conditions()))]
    total = select(func.count()).select_from(Occ).where(*conditions).scalar_subquery()
    if correlated is not None:
        total = total.correlate(correlated)
    first = (
        select(
            bucket.label("bucket") if correlated is None else bucket,
            (literal_column(str(part)) if isinstance(part, int) else part).label("part"),
            Occ.event_id,
            Occ.start_time.label("at"),
            Occ.end_time.label("until"),
            total.label("total"),
        )
        .where(*conditions)
        .order_by(Occ.start_time, Occ.event_id)
        .limit(per_day)
    )
    if correlated is not None:
        return first.correlate(correlated)
    return select(first.subquery())


def beyond_count(query: AgendaQuery, end: Any) -> Any:
    """How many series of the query have rows that stop before ``end`` (usually none: then the
    query of :func:`_beyond_rows` is not needed)."""
    return (
        select(func.count())
        .select_from(Event)
        .where(*query.conditions(), Event.occurrences_until < end, Event.rrule.is_not(None))
        .scalar_subquery()
        .label("beyond")
    )


@lru_cache(maxsize=16)
def categories_statement(shape: AgendaQuery) -> Select[Any]:
    """The categories with a date in the window (bound parameters as ``first_of_each_day``).

    A window of the city holds thousands of dates but a handful of categories: the categories
    are walked one by one on the category index (``min(category) > previous``), and each is
    kept if it has a date in the window — a few index seeks instead of reading every date.
    """
    later = aliased(Occ)
    walk = (
        select(func.min(Occ.category).label("category"))
        .where(Occ.category.is_not(None))
        .cte("walk", recursive=True)
    )
    following = (
        select(func.min(later.category)).where(later.category > walk.c.category).scalar_subquery()
    )
    walk = walk.union_all(select(following).where(walk.c.category.is_not(None)))
    moment = partial(bindparam, type_=UTCDateTime())
    recent = shape.recent(moment("start"), moment("end"), moment("carry"))
    carried = shape.carried(moment("start"), moment("carry"), moment("earliest"))
    found = [
        select(literal_column("1")).where(*conditions, Occ.category == walk.c.category).exists()
        for conditions in (recent, carried)
    ]
    statement: Select[Any] = select(walk.c.category).where(
        walk.c.category.is_not(None), or_(*found)
    )
    return statement
