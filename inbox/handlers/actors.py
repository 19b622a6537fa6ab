"""Update and Delete of actors: a refreshed profile or key, or an account gone for good."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from actors.remote import store_remote_actor
from commons.events.dates import remove_events_of
from federation.errors import InvalidActivity
from federation.parsing import parse_actor
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles
from storage.models import Actor, Follow, Post

log = logging.getLogger(__name__)


@handles("Update", ObjectKind.ACTOR)
async def on_update_actor(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """An actor may only update itself; the new key is used from now on."""
    if ctx.activity.object is None:
        return
    try:
        parsed = parse_actor(ctx.activity.object)
    except InvalidActivity as error:
        log.info("unusable actor in Update %s: %s", ctx.activity.id, error)
        return
    if parsed.id != ctx.sender.uri or not parsed.public_key_pem or not parsed.inbox:
        log.info("Update of actor %s by %s refused", parsed.id, ctx.sender.uri)
        return
    await store_remote_actor(session, parsed)
    ctx.instance.remote_actors.forget(parsed.id)


@handles("Delete", ObjectKind.THE_SENDER)
async def on_delete_actor(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """Remove the actor's posts, events and follows; keep the row, marked gone, so nothing
    revives it."""
    actor = await session.scalar(select(Actor).where(Actor.uri == ctx.sender.uri))
    if actor is None or actor.is_local:
        return
    await session.execute(delete(Post).where(Post.actor_id == actor.id))
    await remove_events_of(session, actor.id)
    await session.execute(
        delete(Follow).where((Follow.follower_id == actor.id) | (Follow.followed_id == actor.id))
    )
    await session.execute(update(Actor).where(Actor.id == actor.id).values(is_gone=True))
    ctx.instance.remote_actors.forget(ctx.sender.uri)
