"""polls: collectives' polls (an assembly's decisions), their options and votes

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

A poll (``polls``) is a collective's ``Question`` with its options (``poll_options``, each with
its tally) in ``oneOf`` or ``anyOf``; a vote (``poll_votes``) is one voter's choice of one
option, unique per poll, voter and option.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("text_source", sa.Text(), nullable=True),
        sa.Column("text_html", sa.Text(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("results_hidden", sa.Boolean(), nullable=False),
        sa.Column("may_vote", sa.String(length=16), nullable=False),
        sa.Column("deadline", WHEN, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("voters_count", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("sent_changes", sa.Integer(), nullable=False),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.Column("document", JSON, nullable=True),
        sa.Column("published", WHEN, nullable=False),
        sa.Column("updated", WHEN, nullable=True),
        sa.Column("deleted_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_polls_actor_id_actors"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["actors.id"],
            name=op.f("fk_polls_created_by_id_actors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
        sa.UniqueConstraint("uri", name=op.f("uq_polls_uri")),
    )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index("ix_polls_actor_published", ["actor_id", "published"], unique=False)
        batch_op.create_index(
            "ix_polls_listing", ["deleted_at", "status", "published"], unique=False
        )
    op.create_table(
        "poll_options",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("votes_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_options_poll_id_polls"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("poll_id", "position", name=op.f("pk_poll_options")),
    )
    op.create_table(
        "poll_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=True),
        sa.Column("voter_uri", sa.String(length=2048), nullable=False),
        sa.Column("vote_uri", sa.String(length=2048), nullable=True),
        sa.Column("voted_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_votes_poll_id_polls"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["voter_id"],
            ["actors.id"],
            name=op.f("fk_poll_votes_voter_id_actors"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_votes")),
        sa.UniqueConstraint(
            "poll_id",
            "voter_uri",
            "position",
            name=op.f("uq_poll_votes_poll_id"),
        ),
    )
    with op.batch_alter_table("poll_votes", schema=None) as batch_op:
        batch_op.create_index("ix_poll_votes_voter", ["voter_id"], unique=False)


def downgrade() -> None:
    op.drop_table("poll_votes")
    op.drop_table("poll_options")
    op.drop_table("polls")
