"""inbox_items: an index of the items in a worker's hands

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06

A claim of received activities passes over every sender one of whose items is under a live
lease, in whichever worker process holds it, so that a sender's activities are applied in the
order they arrived even with several workers. The index holds only the rows under a lease.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEASED = sa.text("locked_until IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_inbox_items_leased",
        "inbox_items",
        ["locked_until"],
        sqlite_where=LEASED,
        postgresql_where=LEASED,
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_items_leased", table_name="inbox_items")
