"""The items a collective may share, as one shape whatever their kind: an event, an offer, a
petition or a post, ours or kept from another server."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import TypeAlias, cast
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.among import among
from storage.models import Actor, Event, Offer, Petition, Post
from storage.models.petitions import DRAFT
from storage.models.posts import PUBLIC

TITLE_LENGTH = 120
_TAGS = re.compile(r"<[^>]+>")

ItemRow: TypeAlias = Event | Offer | Petition | Post
MODELS: dict[str, type[Event] | type[Offer] | type[Petition] | type[Post]] = {
    "event": Event,
    "offer": Offer,
    "petition": Petition,
    "post": Post,
}
REMOTE_PAGES = {"event": "/events/remote/{id}", "offer": "/offers/remote/{id}",
                "petition": "/petitions/remote/{id}", "post": "/posts/{id}"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SharedItem:
    """An item as a share names it: its kind, row, author and where people read it here."""

    kind: str
    row: ItemRow
    author: Actor

    @property
    def uri(self) -> str:
        return self.row.uri

    @property
    def title(self) -> str:
        if isinstance(self.row, Post):
            if self.row.name:
                return self.row.name
            text = " ".join(unescape(_TAGS.sub(" ", self.row.content_html)).split())
            return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1] + "…"
        return self.row.title

    @property
    def path(self) -> str:
        """Its page here: ours at its id's path (a post at its row), others by row."""
        if self.row.is_local and self.kind != "post":
            return urlsplit(self.row.uri).path
        return REMOTE_PAGES[self.kind].format(id=self.row.id)

    @property
    def is_shareable(self) -> bool:
        """Public and live: a followers-only post or a draft petition is never announced."""
        if self.row.deleted_at is not None:
            return False
        if isinstance(self.row, Post):
            return self.row.visibility == PUBLIC and self.row.in_reply_to_uri is None
        if isinstance(self.row, Petition):
            return self.row.status != DRAFT
        return True


async def item_by_id(session: AsyncSession, kind: str, row_id: int) -> SharedItem | None:
    model = MODELS.get(kind)
    if model is None:
        return None
    row = cast(ItemRow | None, await session.get(model, row_id))
    if row is None:
        return None
    author = await session.get(Actor, row.actor_id)
    return SharedItem(kind, row, author) if author is not None else None


async def item_by_uri(session: AsyncSession, uri: str) -> SharedItem | None:
    """The event, offer, petition or post we keep under ``uri`` (one query per kind)."""
    for kind, model in MODELS.items():
        found = await session.execute(
            select(model, Actor).join(Actor, Actor.id == model.actor_id).where(model.uri == uri)
        )
        row = found.first()
        if row is not None:
            return SharedItem(kind, cast(ItemRow, row[0]), row[1])
    return None


async def items_by_uri(session: AsyncSession, uris: set[str]) -> dict[str, SharedItem]:
    """The items among ``uris``, each kind read in one query."""
    items: dict[str, SharedItem] = {}
    if not uris:
        return items
    for kind, model in MODELS.items():
        found = await session.execute(
            select(model, Actor)
            .join(Actor, Actor.id == model.actor_id)
            .where(among(model.uri, uris))
        )
        for found_row, author in found:
            row = cast(ItemRow, found_row)
            items[row.uri] = SharedItem(kind, row, author)
    return items
