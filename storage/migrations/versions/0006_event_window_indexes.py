"""event window indexes: one-off events and series are looked up apart

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_OFF = sa.text("rrule IS NULL")
SERIES = sa.text("rrule IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_events_one_off_window",
        "events",
        ["start_time", "end_time", "deleted_at", "is_local", "actor_id", "category"],
        sqlite_where=ONE_OFF,
        postgresql_where=ONE_OFF,
    )
    op.create_index(
        "ix_events_series_start",
        "events",
        ["start_time", "deleted_at", "is_local", "actor_id", "category"],
        sqlite_where=SERIES,
        postgresql_where=SERIES,
    )


def downgrade() -> None:
    op.drop_index("ix_events_series_start", table_name="events")
    op.drop_index("ix_events_one_off_window", table_name="events")
