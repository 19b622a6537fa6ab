"""hosts: what each neighbour quartier says of itself (name, city, description, contact, area)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04

Read from the neighbour's NodeInfo, for the city's directory of quartiers. ``origin`` is where
that neighbour answers (scheme and authority), learnt from its actors' ids.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("hosts") as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(300), nullable=True))
        batch_op.add_column(sa.Column("quartier_name", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("city", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("contact", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("area", JSON, nullable=True))
        batch_op.add_column(sa.Column("described_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hosts") as batch_op:
        for column in ("described_at", "area", "contact", "description", "city"):
            batch_op.drop_column(column)
        batch_op.drop_column("quartier_name")
        batch_op.drop_column("origin")
