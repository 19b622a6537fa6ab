"""petitions: petitions and initiatives, their promoter committees and signatures; Ed25519 keys

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

A petition (``petitions``) is a collective's ``Question`` with one option; its signatures
(``petition_signatures``) are one per signer, unique per petition, kept when withdrawn; its
promoter committee (``petition_promoters``) must confirm before it opens. An actor may hold an
Ed25519 key (``actors.assertion_key``, its Multikey; the private half for ours) with which our
residents' signatures carry an integrity proof.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assertion_key", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("assertion_private_pem", sa.Text(), nullable=True))
    op.create_table(
        "petitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("is_initiative", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text_source", sa.Text(), nullable=True),
        sa.Column("text_html", sa.Text(), nullable=False),
        sa.Column("addressee", sa.String(length=300), nullable=False),
        sa.Column("goal", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scope_domains", sa.Text(), nullable=False),
        sa.Column("may_sign", sa.String(length=16), nullable=False),
        sa.Column("names_public", sa.Boolean(), nullable=False),
        sa.Column("option_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("signature_count", sa.Integer(), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("notices_sent", sa.Integer(), nullable=False),
        sa.Column("answer_html", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document", JSON, nullable=True),
        sa.Column("published", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_petitions_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["actors.id"],
            name=op.f("fk_petitions_created_by_id_actors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petitions")),
        sa.UniqueConstraint("uri", name=op.f("uq_petitions_uri")),
    )
    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_petitions_actor_published", ["actor_id", "published"], unique=False
        )
        batch_op.create_index(
            "ix_petitions_listing", ["deleted_at", "status", "published"], unique=False
        )

    op.create_table(
        "petition_promoters",
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_petition_promoters_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_petition_promoters_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("petition_id", "actor_id", name=op.f("pk_petition_promoters")),
    )
    op.create_table(
        "petition_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=True),
        sa.Column("signer_uri", sa.String(length=2048), nullable=False),
        sa.Column("vote_uri", sa.String(length=2048), nullable=True),
        sa.Column("way", sa.String(length=16), nullable=False),
        sa.Column("quartier", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("sheet", sa.String(length=32), nullable=True),
        sa.Column("name_hash", sa.String(length=64), nullable=True),
        sa.Column("proof", JSON, nullable=True),
        sa.Column("verification", JSON, nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_petition_signatures_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signer_id"],
            ["actors.id"],
            name=op.f("fk_petition_signatures_signer_id_actors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_signatures")),
        sa.UniqueConstraint(
            "petition_id", "signer_uri", name=op.f("uq_petition_signatures_petition_id")
        ),
    )
    with op.batch_alter_table("petition_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_petition_signatures_name_hash"), ["name_hash"], unique=False
        )
        batch_op.create_index(
            "ix_petition_signatures_petition_signed", ["petition_id", "signed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("petition_signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_petition_signatures_petition_signed")
        batch_op.drop_index(batch_op.f("ix_petition_signatures_name_hash"))

    op.drop_table("petition_signatures")
    op.drop_table("petition_promoters")
    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.drop_index("ix_petitions_listing")
        batch_op.drop_index("ix_petitions_actor_published")

    op.drop_table("petitions")
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.drop_column("assertion_private_pem")
        batch_op.drop_column("assertion_key")
