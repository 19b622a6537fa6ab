"""bookables: a shared space's things and rooms booked by time slot, with their rules

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02

An offer of lending becomes bookable (``bookables``: slot length, how long, how far ahead, a
monthly quota, approval, who may book, opening hours); an answer to it names a slot
(``offer_responses.starts_at``/``ends_at``) and holds it in ``reservation_slots``, one row per
slot, unique per offer: two bookings of the same slot cannot both be written. An accepted
booking gets a short pickup code; its pickup, return and reminder are recorded.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "bookables",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("max_slots", sa.Integer(), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=False),
        sa.Column("ahead_days", sa.Integer(), nullable=False),
        sa.Column("monthly_quota", sa.Integer(), nullable=True),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("who_may_book", sa.String(length=16), nullable=False),
        sa.Column("opening", JSON, nullable=True),
        sa.Column("condition", sa.String(length=16), nullable=False),
        sa.Column("deposit_centimes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_bookables_offer_id_offers"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("offer_id", name=op.f("pk_bookables")),
    )
    op.create_table(
        "reservation_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_reservation_slots_offer_id_offers"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["response_id"], ["offer_responses.id"],
            name=op.f("fk_reservation_slots_response_id_offer_responses"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_slots")),
        sa.UniqueConstraint("offer_id", "slot_start", name=op.f("uq_reservation_slots_offer_id")),
    )
    op.create_index(
        op.f("ix_reservation_slots_response_id"), "reservation_slots", ["response_id"],
        unique=False,
    )  # fmt: skip
    with op.batch_alter_table("offer_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pickup_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("picked_up_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offer_responses", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("returned_at")
        batch_op.drop_column("picked_up_at")
        batch_op.drop_column("pickup_code")
        batch_op.drop_column("ends_at")
        batch_op.drop_column("starts_at")
    op.drop_index(op.f("ix_reservation_slots_response_id"), table_name="reservation_slots")
    op.drop_table("reservation_slots")
    op.drop_table("bookables")
