"""hosts: whether a federated quartier's content appears in the city views

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04

The admin chooses which federated quartiers the city agenda, marketplace, petitions, map and
timeline show; every quartier is shown until the admin says otherwise.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hosts") as batch_op:
        batch_op.add_column(
            sa.Column("in_city_views", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("hosts") as batch_op:
        batch_op.drop_column("in_city_views")
