"""event occurrences: every date of every event in a table, written with the event; taking
part in one date of a series

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

Creates ``event_occurrences`` and ``events.occurrences_until``, then writes the dates of the
events already there, a thousand events at a time, exactly as the application wrote them on
the day of this revision: one row for a one-off event, one per date for a series, up to the
horizon for a series without end. RSVPs: once per person for the whole event (duplicates kept
from before are removed, the oldest stays), and an index to count each date's participants.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from dateutil.rrule import rrule, rrulestr
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
WHOLE = sa.text("occurrence IS NULL")
HORIZON = timedelta(days=731)
LONG_DATE = timedelta(days=1)
MAX_ROWS_PER_EVENT = 5_000


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Frozen: a timezone-aware UTC datetime on both databases (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")

events = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("actor_id", sa.Integer),
    sa.column("is_local", sa.Boolean),
    sa.column("category", sa.String),
    sa.column("rrule", sa.String),
    sa.column("start_time", UTCDateTime),
    sa.column("end_time", UTCDateTime),
    sa.column("timezone", sa.String),
    sa.column("exdates", JSONType),
    sa.column("deleted_at", UTCDateTime),
    sa.column("occurrences_until", UTCDateTime),
)
occurrences = sa.table(
    "event_occurrences",
    sa.column("event_id", sa.Integer),
    sa.column("start_time", UTCDateTime),
    sa.column("end_time", UTCDateTime),
    sa.column("is_long", sa.Boolean),
    sa.column("actor_id", sa.Integer),
    sa.column("is_local", sa.Boolean),
    sa.column("category", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("occurrences_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_events_occurrences_until", ["occurrences_until"], unique=False)
    op.create_table(
        "event_occurrences",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_long", sa.Boolean(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_occurrences_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "start_time", name=op.f("pk_event_occurrences")),
    )
    op.create_index(
        "ix_event_occurrences_window",
        "event_occurrences",
        ["start_time", "event_id", "end_time", "is_local", "actor_id", "category"],
        unique=False,
    )
    op.create_index(
        "ix_event_occurrences_long",
        "event_occurrences",
        ["is_long", "start_time", "event_id", "end_time", "is_local", "actor_id", "category"],
        unique=False,
    )
    op.create_index(
        "ix_event_occurrences_category",
        "event_occurrences",
        ["category", "start_time", "end_time", "is_long", "is_local", "actor_id"],
        unique=False,
    )
    write_occurrences(op.get_bind(), datetime.now(UTC) + HORIZON)
    op.execute(
        "DELETE FROM rsvps WHERE occurrence IS NULL AND id NOT IN (SELECT min(id) FROM rsvps"
        " WHERE occurrence IS NULL GROUP BY event_id, actor_id)"
    )
    op.create_index(
        "uq_rsvps_whole",
        "rsvps",
        ["event_id", "actor_id"],
        unique=True,
        sqlite_where=WHOLE,
        postgresql_where=WHOLE,
    )
    op.create_index("ix_rsvps_event_occurrence", "rsvps", ["event_id", "occurrence", "state"])


def write_occurrences(connection: sa.Connection, before: datetime) -> None:
    """The dates of every event not deleted, by batches of ``BATCH`` events in id order."""
    alive = events.c.deleted_at.is_(None)
    total = connection.execute(sa.select(sa.func.count()).select_from(events).where(alive))
    progress = _progress("events given their dates", total.scalar_one())
    try:
        _write_batches(connection, before, progress)
    finally:
        if progress is not None:
            progress.finish()


def _progress(label: str, total: int) -> Any:
    """What ``quartiers migrate`` handed in to show progress (nothing when there is no work)."""
    config = op.get_context().config
    factory: Callable[[str, int], Any] | None = (
        config.attributes.get("progress") if config is not None else None
    )
    return factory(label, total) if factory is not None and total else None


def _write_batches(connection: sa.Connection, before: datetime, progress: Any) -> None:
    last = 0
    while True:
        batch = connection.execute(
            sa.select(events)
            .where(events.c.id > last, events.c.deleted_at.is_(None))
            .order_by(events.c.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return
        rows: list[dict[str, Any]] = []
        bounds: list[dict[str, Any]] = []
        for event in batch:
            expansion = expand_until(
                event.rrule,
                event.start_time,
                event.end_time,
                event.timezone,
                exdate_dates(event.exdates),
                before,
            )
            rows.extend(
                {"event_id": event.id, "start_time": found.start, "end_time": found.end,
                 "is_long": found.end is not None and found.end - found.start > LONG_DATE, "actor_id": event.actor_id,
                 "is_local": event.is_local, "category": event.category}
                for found in expansion.dates
            )  # fmt: skip
            if expansion.until is not None:
                bounds.append({"event": event.id, "until": expansion.until})
        if rows:
            connection.execute(sa.insert(occurrences), rows)
        if bounds:
            connection.execute(
                sa.update(events)
                .where(events.c.id == sa.bindparam("event"))
                .values(occurrences_until=sa.bindparam("until")),
                bounds,
            )
        last = batch[-1].id
        if progress is not None:
            progress.advance(len(batch))


# Frozen copy of the series expansion (commons/events/expansion.py, commons/events/recurrence.py at 0007)


@dataclass(frozen=True, slots=True)
class Occurrence:
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Expansion:
    dates: tuple[Occurrence, ...]
    until: datetime | None


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("Europe/Zurich")


def exdate_dates(value: Any) -> tuple[date, ...]:
    """Exception dates as stored (``{"dates": ["2026-04-04", …]}`` or a bare list), leniently."""
    raw = value.get("dates", ()) if isinstance(value, dict) else value
    if not isinstance(raw, list | tuple):
        return ()
    found: list[date] = []
    for entry in raw:
        try:
            found.append(date.fromisoformat(str(entry)[:10]))
        except ValueError:
            continue
    return tuple(found)


def parse_rule(text: str, local_start: datetime) -> rrule | None:
    """The rule (with or without ``RRULE:``, any case, spaces ignored), or None if unreadable."""
    rule = text.strip().replace(" ", "").upper().removeprefix("RRULE:")
    try:
        parsed = rrulestr(f"RRULE:{rule}", dtstart=local_start.replace(tzinfo=None))
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return parsed if isinstance(parsed, rrule) else None


def expand_until(
    rule: str | None,
    start: datetime,
    end: datetime | None,
    timezone: str,
    exdates: tuple[date, ...],
    before: datetime,
) -> Expansion:
    """The dates starting before ``before`` (at most ``MAX_ROWS_PER_EVENT``), and where they stop."""
    if not rule:
        return Expansion((Occurrence(start, end),), None)
    zone = zone_of(timezone)
    parsed = parse_rule(rule, start.astimezone(zone))
    if parsed is None:
        return Expansion((), None)
    duration = end - start if end is not None else None
    skipped = set(exdates)
    found: list[Occurrence] = []
    for naive in parsed:
        if naive.date() in skipped:
            continue
        moment = naive.replace(tzinfo=zone).astimezone(UTC)
        if moment >= before:
            return Expansion(tuple(found), before)
        if len(found) >= MAX_ROWS_PER_EVENT:
            return Expansion(tuple(found), moment)
        found.append(Occurrence(moment, moment + duration if duration is not None else None))
    return Expansion(tuple(found), None)


def downgrade() -> None:
    op.drop_index("ix_rsvps_event_occurrence", table_name="rsvps")
    op.drop_index("uq_rsvps_whole", table_name="rsvps")
    op.drop_index("ix_event_occurrences_category", table_name="event_occurrences")
    op.drop_index("ix_event_occurrences_long", table_name="event_occurrences")
    op.drop_index("ix_event_occurrences_window", table_name="event_occurrences")
    op.drop_table("event_occurrences")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_occurrences_until")
        batch_op.drop_column("occurrences_until")
