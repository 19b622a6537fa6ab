"""offer responses: proposals to take up an offer (FEP-0837's Offer{Agreement}) and their answer

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02

A notification may name an offer (``offer_id``, gone with it): its author hears of a response,
the responder of the answer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offer_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=False),
        sa.Column("agreement_uri", sa.String(length=2048), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_responses_offer_id_offers"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["responder_id"], ["actors.id"], name=op.f("fk_offer_responses_responder_id_actors"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_offer_responses_post_id_posts"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_responses")),
        sa.UniqueConstraint("uri", name=op.f("uq_offer_responses_uri")),
    )
    op.create_index("ix_offer_responses_offer_state", "offer_responses", ["offer_id", "state"])
    op.create_index(
        op.f("ix_offer_responses_responder_id"), "offer_responses", ["responder_id"], unique=False
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_notifications_offer_id_offers", "offers", ["offer_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("fk_notifications_offer_id_offers", type_="foreignkey")
        batch_op.drop_column("offer_id")
    op.drop_index(op.f("ix_offer_responses_responder_id"), table_name="offer_responses")
    op.drop_index("ix_offer_responses_offer_state", table_name="offer_responses")
    op.drop_table("offer_responses")
