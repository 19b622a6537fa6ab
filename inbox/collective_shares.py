"""After an activity of a remote collective is applied: the shares it makes or undoes.

Whatever handler applied it (a relayed event kept, a boost counted, or nothing because we
already had the item), an ``Announce`` by a collective names an item it shares: we remember
the share, so our pages say through which collective the item came, and the collectives of
ours that follow it are offered the item (:mod:`commons.shares.received`). A ``Create`` of the
collective's own item is offered to them the same way. ``Undo{Announce}`` (or an Undo naming
only the Announce's id) forgets the share.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from commons.shares.items import item_by_uri
from commons.shares.received import forget_announce, keep_announce
from commons.shares.services import offer_to_followers
from federation.vocab import ACTIVITY_TYPES, first_str, id_of, same_origin
from inbox.context import InboxContext


async def note_collective_activity(session: AsyncSession, ctx: InboxContext) -> None:
    sender, activity = ctx.sender, ctx.activity
    if not sender.is_group or sender.is_local:
        return
    inner = activity.object
    inner_type = first_str(inner.get("type")) if inner is not None else None
    match activity.type:
        case "Announce":
            # What it shares: the object of a Create it passes on, or the object it announces.
            # Any other activity it passes on (a Lemmy group passes on its members' Likes,
            # Updates and Deletes) shares nothing.
            if inner is not None and inner_type == "Create":
                uri = id_of(inner.get("object"))
            elif inner_type in ACTIVITY_TYPES:
                return
            else:
                uri = activity.object_uri
            item = await item_by_uri(session, uri) if uri else None
            if item is None:
                return
            await keep_announce(session, sender, item, activity.id)
            await offer_to_followers(session, ctx.instance.uris, sender, item.uri)
        case "Create":
            uri = id_of(inner.get("id")) if inner is not None else None
            if uri and same_origin(uri, sender.uri):
                await offer_to_followers(session, ctx.instance.uris, sender, uri)
        case "Undo" if inner_type in ("Announce", None):
            named = id_of(inner.get("object")) if inner is not None else None
            await forget_announce(session, sender, activity.object_uri, named)
