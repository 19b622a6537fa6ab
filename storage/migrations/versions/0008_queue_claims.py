"""queue claims: a token per claim (only its holder records an outcome), the origin of each
received activity (fair handling between servers), deliveries keyed by authority

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

``inbox_items.origin`` and the authority (host and port) of a delivery's inbox are computed
here from the stored URIs, for the rows that are still waiting and for every delivery whose
inbox names a port.
"""

from collections.abc import Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}".lower()[:255]


def _authority(uri: str) -> str:
    return urlsplit(uri).netloc.rpartition("@")[2].lower()


def upgrade() -> None:
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("locked_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))

    connection = op.get_bind()
    items = sa.table(
        "inbox_items",
        sa.column("id", sa.Integer),
        sa.column("actor_uri", sa.String),
        sa.column("origin", sa.String),
        sa.column("state", sa.String),
    )
    waiting = connection.execute(
        sa.select(items.c.id, items.c.actor_uri).where(items.c.state == "queued")
    ).all()
    for item_id, actor_uri in waiting:
        connection.execute(
            items.update().where(items.c.id == item_id).values(origin=_origin(actor_uri))
        )
    # Every row has its origin now (the past ones keep ""); new rows always name theirs.
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.alter_column("origin", server_default=None)
    deliveries = sa.table(
        "deliveries",
        sa.column("id", sa.Integer),
        sa.column("inbox_uri", sa.String),
        sa.column("host", sa.String),
    )
    with_port = connection.execute(
        sa.select(deliveries.c.id, deliveries.c.inbox_uri, deliveries.c.host).where(
            deliveries.c.inbox_uri.like("%://%:%")
        )
    ).all()
    for delivery_id, inbox_uri, host in with_port:
        authority = _authority(inbox_uri)
        if authority and authority != host:
            connection.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery_id)
                .values(host=authority[:255])
            )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("claim_token")
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.drop_column("claim_token")
        batch_op.drop_column("locked_by")
        batch_op.drop_column("origin")
