"""offers: the bourses' offers and requests, ours and those other servers send

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description_source", sa.Text(), nullable=True),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("unit_based", sa.Boolean(), nullable=False),
        sa.Column("available_quantity", sa.Float(), nullable=True),
        sa.Column("minimum_quantity", sa.Float(), nullable=True),
        sa.Column("reciprocity", sa.String(length=16), nullable=False),
        sa.Column("exchange_for", sa.String(length=500), nullable=True),
        sa.Column("price_centimes", sa.Integer(), nullable=True),
        sa.Column("place_name", sa.String(length=255), nullable=True),
        sa.Column("street_address", sa.String(length=255), nullable=True),
        sa.Column("locality", sa.String(length=255), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("images", JSON, nullable=True),
        sa.Column("document", JSON, nullable=True),
        sa.Column("published", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_offers_actor_id_actors"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["actors.id"],
            name=op.f("fk_offers_created_by_id_actors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("uri", name=op.f("uq_offers_uri")),
    )
    op.create_index("ix_offers_listing", "offers", ["deleted_at", "status", "published"])
    op.create_index("ix_offers_actor_published", "offers", ["actor_id", "published"])
    op.create_index("ix_offers_kind_published", "offers", ["kind", "published"])


def downgrade() -> None:
    op.drop_index("ix_offers_kind_published", table_name="offers")
    op.drop_index("ix_offers_actor_published", table_name="offers")
    op.drop_index("ix_offers_listing", table_name="offers")
    op.drop_table("offers")
