"""hosts: what neighbour quartiers say of themselves; follows of the instance actor wait again

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04

Read from the neighbour's NodeInfo, for the city's directory of quartiers. ``origin`` is where
that neighbour answers (scheme and authority), learnt from its actors' ids.

Follows of the instance actor accepted before wait for the admin again: such a follow now
relays our collectives' public activities (federation between quartiers).
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


    # A follow of the instance actor now brings every public activity of our collectives (the
    # relay between federated quartiers): those accepted before, at once and by nobody, wait
    # for the admin like any new one.
    op.execute(
        "UPDATE follows SET state = 'pending', accepted_at = NULL WHERE state = 'accepted' AND "
        "followed_id IN (SELECT id FROM actors WHERE is_local AND type = 'Application')"
    )


def downgrade() -> None:
    with op.batch_alter_table("hosts") as batch_op:
        for column in ("described_at", "area", "contact", "description", "city"):
            batch_op.drop_column(column)
        batch_op.drop_column("quartier_name")
        batch_op.drop_column("origin")
