"""reports: what other servers (and later residents) ask the moderators to look at

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

A ``Flag`` received from another server used to be answered 202 and dropped; it is now kept,
with the account of ours and the ids it names, until a moderator marks it handled.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("object_uris", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["actors.id"],
            name=op.f("fk_reports_reporter_id_actors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["actors.id"],
            name=op.f("fk_reports_account_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["actors.id"],
            name=op.f("fk_reports_resolved_by_id_actors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("uri", name=op.f("uq_reports_uri")),
    )
    op.create_index(op.f("ix_reports_reporter_id"), "reports", ["reporter_id"], unique=False)
    op.create_index(op.f("ix_reports_account_id"), "reports", ["account_id"], unique=False)
    op.create_index(op.f("ix_reports_resolved_at"), "reports", ["resolved_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reports_resolved_at"), table_name="reports")
    op.drop_index(op.f("ix_reports_account_id"), table_name="reports")
    op.drop_index(op.f("ix_reports_reporter_id"), table_name="reports")
    op.drop_table("reports")
