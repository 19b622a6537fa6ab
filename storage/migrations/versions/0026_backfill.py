"""backfills: what a quartier reads of a federated neighbour's past; relayed activities

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-04

When two quartiers federate, each reads the other's recent public activities of collectives
(its instance actor's outbox), page after page; ``backfills`` keeps where that reading stands,
one row per neighbour, so a restart resumes it.

``activities.is_relayed`` marks what is relayed to federated quartiers (a public activity of a
local collective), with a partial index for the outbox that lists them newest first, and
``object_uri`` is indexed to find an object's newer versions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "backfills",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "neighbour_id",
            sa.Integer(),
            sa.ForeignKey("actors.id", ondelete="CASCADE", name="fk_backfills_neighbour_id_actors"),
            nullable=False,
        ),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("next_page_uri", sa.String(2048), nullable=True),
        sa.Column("items_done", sa.Integer(), nullable=False),
        sa.Column("items_skipped", sa.Integer(), nullable=False),
        sa.Column("pages_read", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=False),
        sa.Column("locked_until", TIME, nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("failure", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.UniqueConstraint("neighbour_id", name="uq_backfills_neighbour_id"),
    )
    op.create_index("ix_backfills_state_due", "backfills", ["state", "next_attempt_at", "id"])
    with op.batch_alter_table("activities") as batch_op:
        batch_op.add_column(
            sa.Column("is_relayed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE activities SET is_relayed = TRUE WHERE is_public AND actor_id IN "
        "(SELECT id FROM actors WHERE is_local AND type = 'Group')"
    )
    op.create_index("ix_activities_object_uri", "activities", ["object_uri"])
    op.create_index(
        "ix_activities_relayed",
        "activities",
        ["id"],
        sqlite_where=sa.text("is_relayed"),
        postgresql_where=sa.text("is_relayed"),
    )


def downgrade() -> None:
    op.drop_index("ix_activities_relayed", table_name="activities")
    op.drop_index("ix_activities_object_uri", table_name="activities")
    with op.batch_alter_table("activities") as batch_op:
        batch_op.drop_column("is_relayed")
    op.drop_index("ix_backfills_state_due", table_name="backfills")
    op.drop_table("backfills")
