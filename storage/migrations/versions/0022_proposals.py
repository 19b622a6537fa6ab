"""proposals: members' proposals to their collective, their supports and the answer

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03

A proposal (``proposals``) is a member's, made to a collective, which answers it with a status
and a text; a support (``proposal_supports``) is one person's, unique per proposal, with the id
of the ``Like`` that carried it when it came from another server.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text_source", sa.Text(), nullable=False),
        sa.Column("text_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("support_count", sa.Integer(), nullable=False),
        sa.Column("answer_source", sa.Text(), nullable=True),
        sa.Column("answer_html", sa.Text(), nullable=True),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("published", WHEN, nullable=False),
        sa.Column("updated", WHEN, nullable=True),
        sa.Column("deleted_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"],
                                name=op.f("fk_proposals_actor_id_actors"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["actors.id"],
                                name=op.f("fk_proposals_author_id_actors"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
        sa.UniqueConstraint("uri", name=op.f("uq_proposals_uri")),
    )  # fmt: skip
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_proposals_listing", ["deleted_at", "actor_id", "published"], unique=False
        )
    op.create_table(
        "proposal_supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=True),
        sa.Column("supporter_uri", sa.String(length=2048), nullable=False),
        sa.Column("like_uri", sa.String(length=2048), nullable=True),
        sa.Column("supported_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"],
                                name=op.f("fk_proposal_supports_proposal_id_proposals"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["supporter_id"], ["actors.id"],
                                name=op.f("fk_proposal_supports_supporter_id_actors"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_supports")),
        sa.UniqueConstraint("proposal_id", "supporter_uri",
                            name=op.f("uq_proposal_supports_proposal_id")),
    )  # fmt: skip
    with op.batch_alter_table("proposal_supports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_supports_like_uri"), ["like_uri"], unique=False
        )


def downgrade() -> None:
    op.drop_table("proposal_supports")
    op.drop_table("proposals")
