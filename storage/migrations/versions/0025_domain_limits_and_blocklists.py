"""domain_blocks: a severity (suspend or limit) and where each came from; blocklists read from
other servers, and the entries they propose

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04

Every block there was is a suspension typed by an admin here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("domain_blocks") as batch_op:
        batch_op.add_column(
            sa.Column("severity", sa.String(16), server_default="suspend", nullable=False)
        )
        batch_op.add_column(sa.Column("source_url", sa.String(2048), nullable=True))
    op.create_table(
        "blocklist_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("fetched_at", WHEN, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("entry_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skipped_lines", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_subscriptions")),
        sa.UniqueConstraint("url", name=op.f("uq_blocklist_subscriptions_url")),
    )
    op.create_table(
        "blocklist_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["blocklist_subscriptions.id"],
                                name=op.f("fk_blocklist_proposals_subscription_id_blocklist_subscriptions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_proposals")),
        sa.UniqueConstraint("subscription_id", "domain",
                            name=op.f("uq_blocklist_proposals_subscription_id")),
    )  # fmt: skip
    with op.batch_alter_table("blocklist_proposals") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blocklist_proposals_domain"), ["domain"], unique=False
        )


def downgrade() -> None:
    op.drop_table("blocklist_proposals")
    op.drop_table("blocklist_subscriptions")
    with op.batch_alter_table("domain_blocks") as batch_op:
        batch_op.drop_column("source_url")
        batch_op.drop_column("severity")
