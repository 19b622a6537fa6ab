"""shares: items collectives announce, their approval, and what collectives share without it

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04

A share (``shares``) is an item of any server (event, offer, petition, post) one collective
announces: for ours, proposed by a member or brought by a collective it follows, waiting for
a facilitator, shared or refused; for a remote collective, an Announce of it we received.
``actors.share_approval`` says whose shares wait; ``actors.shares_followed_directly`` whether
what the collectives it follows publish is shared without approval.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("actors") as batch_op:
        batch_op.add_column(sa.Column("share_approval", sa.String(length=16), nullable=False,
                                      server_default="members"))  # fmt: skip
        batch_op.add_column(sa.Column("shares_followed_directly", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))  # fmt: skip
    op.create_table(
        "shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("object_uri", sa.String(length=2048), nullable=False),
        sa.Column("object_kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("sharer_id", sa.Integer(), nullable=True),
        sa.Column("via_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("announce_uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["actors.id"],
                                name=op.f("fk_shares_group_id_actors"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sharer_id"], ["actors.id"],
                                name=op.f("fk_shares_sharer_id_actors"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["via_id"], ["actors.id"],
                                name=op.f("fk_shares_via_id_actors"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["actors.id"],
                                name=op.f("fk_shares_decided_by_id_actors"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("group_id", "object_uri", name="uq_shares_group_object"),
    )  # fmt: skip
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.create_index("ix_shares_group_state", ["group_id", "state"], unique=False)
        batch_op.create_index("ix_shares_object_uri", ["object_uri"], unique=False)
        batch_op.create_index(batch_op.f("ix_shares_announce_uri"), ["announce_uri"], unique=False)


def downgrade() -> None:
    op.drop_table("shares")
    with op.batch_alter_table("actors") as batch_op:
        batch_op.drop_column("shares_followed_directly")
        batch_op.drop_column("share_approval")
