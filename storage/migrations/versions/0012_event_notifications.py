"""event notifications: a notification may name an event, and one of its dates

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02

Organisers hear when someone joins, leaves or moves up from the waiting list of their event or
of one of its dates: the notification names the event (``event_id``, gone with it) and the
date (``occurrence``, its UTC start; none for a one-off event or the whole series).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("occurrence", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_notifications_event_id_events", "events", ["event_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("fk_notifications_event_id_events", type_="foreignkey")
        batch_op.drop_column("occurrence")
        batch_op.drop_column("event_id")
