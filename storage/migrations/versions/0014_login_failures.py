"""login failures: the login throttle's counts, shared by every process of an instance

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Until now each web process kept its own counts in memory, so an instance served by several
processes let a guesser try as many times more. Nothing is carried over: counts start afresh.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )
    op.create_index(
        op.f("ix_login_failures_last_failure"), "login_failures", ["last_failure"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_login_failures_last_failure"), table_name="login_failures")
    op.drop_table("login_failures")
