"""instance look: the neighbourhood's accent colour and logo, chosen by an admin

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

One row (``id`` 1) when an admin has chosen a look; none means the default one. The logo is an
image of the ``media`` table (owned by the instance actor); deleting it clears the link.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_looks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("accent", sa.String(length=7), nullable=False),
        sa.Column("logo_media_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["logo_media_id"],
            ["media.id"],
            name=op.f("fk_instance_looks_logo_media_id_media"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_looks")),
    )


def downgrade() -> None:
    op.drop_table("instance_looks")
