"""queues: the due index in the order claims take rows (state, due time, then id)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03

A claim takes the oldest due rows: ``ORDER BY next_attempt_at, id``. With the id in the index,
PostgreSQL reads them in that order and stops at the claim's size; without it, it read every
queued row and sorted them at each claim (10 ms with 10,000 queued votes).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUES = ("inbox_items", "deliveries")


def upgrade() -> None:
    for table in QUEUES:
        op.drop_index(f"ix_{table}_state_due", table_name=table)
        op.create_index(f"ix_{table}_state_due", table, ["state", "next_attempt_at", "id"])


def downgrade() -> None:
    for table in QUEUES:
        op.drop_index(f"ix_{table}_state_due", table_name=table)
        op.create_index(f"ix_{table}_state_due", table, ["state", "next_attempt_at"])
