"""backfills: what a quartier reads of a federated neighbour's past; relayed activities

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04

When two quartiers federate, each reads the other's recent public activities of collectives
(its instance actor's outbox), page after page; ``backfills`` keeps where that reading stands,
one row per neighbour, so a restart resumes it.

``activities.in_quartier_outbox`` marks what the quartier's outbox lists (a public activity of a
local collective, relayed to federated quartiers, and not superseded by a newer version or a
deletion of its object), with a partial index for that outbox, newest first; ``object_uri`` is
indexed to find the older versions an ``Update`` or a ``Delete`` supersedes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
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
            sa.Column(
                "in_quartier_outbox", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_index("ix_activities_object_uri", "activities", ["object_uri"])
    # What the quartier's outbox would have listed: the public Create, Update and Announce of
    # our collectives, but an Update of a post (its Create stays), and any activity of an
    # object deleted since, or of which a newer version was sent.
    op.execute(
        "UPDATE activities SET in_quartier_outbox = TRUE WHERE is_public "
        "AND type IN ('Create', 'Update', 'Announce') "
        "AND actor_id IN (SELECT id FROM actors WHERE is_local AND type = 'Group') "
        "AND NOT (type = 'Update' AND object_uri IN (SELECT uri FROM posts)) "
        "AND NOT EXISTS (SELECT 1 FROM activities AS newer "
        "WHERE newer.object_uri = activities.object_uri AND newer.id > activities.id "
        "AND newer.actor_id = activities.actor_id AND (newer.type = 'Delete' OR "
        "(newer.type = 'Update' AND activities.type IN ('Create', 'Update') "
        "AND newer.object_uri NOT IN (SELECT uri FROM posts))))"
    )
    op.create_index(
        "ix_activities_quartier_outbox",
        "activities",
        ["id"],
        sqlite_where=sa.text("in_quartier_outbox"),
        postgresql_where=sa.text("in_quartier_outbox"),
    )


def downgrade() -> None:
    op.drop_index("ix_activities_quartier_outbox", table_name="activities")
    op.drop_index("ix_activities_object_uri", table_name="activities")
    with op.batch_alter_table("activities") as batch_op:
        batch_op.drop_column("in_quartier_outbox")
    op.drop_index("ix_backfills_state_due", table_name="backfills")
    op.drop_table("backfills")
