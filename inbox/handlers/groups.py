"""Our collectives in the inbox: Join, Leave and Undo(Join) by remote residents.

A remote resident joins one of our Groups with ``Join{object: group}`` (Mobilizon's shape) and
leaves with ``Leave`` (or ``Undo{Join}``).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from actors import groups
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles

log = logging.getLogger(__name__)


@handles("Join", ObjectKind.OUR_GROUP)
async def on_join(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    group = target.actor
    assert group is not None
    try:
        await groups.join(session, ctx.instance.uris, group, ctx.sender, join_uri=ctx.activity.id)
    except groups.InvitationRequired:
        log.info("Join of %s by %s refused: invitation only", group.uri, ctx.sender.uri)


@handles("Leave", ObjectKind.OUR_GROUP)
@handles("Undo", ObjectKind.OUR_GROUP)
async def on_leave(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    group = target.actor
    assert group is not None
    try:
        await groups.leave(session, group, ctx.sender)
    except groups.LastAdmin:
        log.info("Leave of %s by %s refused: last admin", group.uri, ctx.sender.uri)
