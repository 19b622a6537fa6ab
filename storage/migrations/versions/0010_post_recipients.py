"""post recipients and names: the actors a post names in to, cc, bto or bcc may read it;
a post of ours may have a title

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

A post's addressing is its author's (ActivityPub §6): the web UI fills it from the three
visibilities, a client sends it as it wants. The actors named in it may read the post, as the
mentioned ones already could; posts written before keep their mentions as their named readers.
An Article, a Page or a Note sent by a client keeps its ``name``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post_recipients",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "actor_id"),
    )
    op.create_index("ix_post_recipients_actor", "post_recipients", ["actor_id"])
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("name")
    op.drop_index("ix_post_recipients_actor", table_name="post_recipients")
    op.drop_table("post_recipients")
