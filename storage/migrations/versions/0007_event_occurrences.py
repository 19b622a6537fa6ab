"""event occurrences: every date of every event in a table, written with the event; taking
part in one date of a series

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

Creates ``event_occurrences`` and ``events.occurrences_until``, then writes the dates of the
events already there, a thousand events at a time, exactly as the application writes them
(``commons.occurrences``): one row for a one-off event, one per date for a series, up to the
horizon for a series without end. RSVPs: once per person for the whole event (duplicates kept
from before are removed, the oldest stays), and an index to count each date's participants.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from commons.expansion import exdate_dates, expand_until
from commons.occurrences import horizon_from, is_long
from storage.models.base import JSONType, UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
WHOLE = sa.text("occurrence IS NULL")

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
    write_occurrences(op.get_bind(), horizon_from(datetime.now(UTC)))
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
                 "is_long": is_long(found), "actor_id": event.actor_id,
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
