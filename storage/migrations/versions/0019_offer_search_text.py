"""offers.search_text: an offer's words folded (lower case, no accents) for the search

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02

The marketplace's search looked for each word in the title, description and category as they
were written, so « velo » did not find « Vélo cargo ». Each offer now keeps its words folded
once, when it is written; the offers already stored are folded here.
"""

import html
import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
TAG = re.compile(r"<[^>]*>")


def folded(*parts: str | None) -> str:
    """The words as this revision folds them (kept here: a migration does not change later)."""
    text = unicodedata.normalize("NFKD", " ".join(part or "" for part in parts).casefold())
    bare = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(bare.split())[:4000]


def upgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
    offers = sa.table(
        "offers",
        *(sa.column(name) for name in ("id", "title", "category", "description_source",
                                       "description_html", "place_name", "locality")),
        sa.column("search_text"),
    )  # fmt: skip
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(offers).where(offers.c.id > last).order_by(offers.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            body = row.description_source or html.unescape(TAG.sub(" ", row.description_html or ""))
            words = folded(row.title, row.category, body, row.place_name, row.locality)
            connection.execute(
                offers.update().where(offers.c.id == row.id).values(search_text=words)
            )
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_column("search_text")
