"""What collectives of other servers announce and publish, as the inbox applies it.

- ``Announce`` of an item by a remote collective is kept as one of its shares, so our pages
  say the item came "via" it; its ``Undo{Announce}`` removes it.
- What a collective announces or publishes reaches the collectives of ours that follow it as
  proposed shares (or is shared at once when they chose so): a city-wide assembly gathers what
  the quartiers' assemblies publish, and its facilitators choose what it passes on.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.shares.items import SharedItem
from storage.models import Actor, Share, utcnow
from storage.models.shares import SHARE_SHARED


async def keep_announce(
    session: AsyncSession, group: Actor, item: SharedItem, announce_uri: str | None
) -> None:
    """A remote collective's Announce of an item we keep: once per collective and item."""
    if group.is_local:
        return
    share = await session.scalar(
        select(Share).where(Share.group_id == group.id, Share.object_uri == item.uri)
    )
    if share is None:
        session.add(Share(group_id=group.id, object_uri=item.uri, object_kind=item.kind,
                          state=SHARE_SHARED, announce_uri=announce_uri,
                          decided_at=utcnow()))  # fmt: skip
    else:
        share.announce_uri = announce_uri
    await session.flush()


async def forget_announce(
    session: AsyncSession, group: Actor, announce_uri: str | None, object_uri: str | None
) -> bool:
    """An ``Undo{Announce}`` by a remote collective: by the Announce's id, else its object."""
    if group.is_local:
        return False
    named = Share.announce_uri == announce_uri if announce_uri else Share.object_uri == object_uri
    if not announce_uri and not object_uri:
        return False
    result = await session.execute(delete(Share).where(Share.group_id == group.id, named))
    return bool(getattr(result, "rowcount", 0))
