"""From an activity's type (and its object's) to the one handler that applies it."""

from __future__ import annotations

from federation.vocab import ACTOR_TYPES, first_str
from inbox.context import InboxContext
from inbox.handlers import actors, events, following, groups, notes, reactions


def _object_type(ctx: InboxContext) -> str | None:
    obj = ctx.activity.object
    return first_str(obj.get("type")) if obj is not None else None


async def dispatch(ctx: InboxContext) -> None:
    """Unknown activity types are accepted and ignored."""
    activity = ctx.activity
    match activity.type:
        case "Follow":
            await following.on_follow(ctx)
        case "Accept":
            if not await events.on_accept(ctx):
                await following.on_accept(ctx)
        case "Reject":
            if not await events.on_reject(ctx):
                await following.on_reject(ctx)
        case "Undo":
            match _object_type(ctx):
                case "Follow":
                    await following.on_undo_follow(ctx)
                case "Join":
                    if not await events.on_undo_join(ctx):
                        await groups.on_undo_join(ctx)
                case "Like" | "Announce" | "EmojiReact":
                    await reactions.on_undo_reaction(ctx)
                case None:
                    await reactions.on_undo_reaction(ctx)
                    await following.on_undo_follow(ctx)
        case "Create":
            if not await events.on_create(ctx):
                await notes.on_create(ctx)
        case "Update":
            if _object_type(ctx) in ACTOR_TYPES:
                await actors.on_update_actor(ctx)
            elif not await events.on_update(ctx):
                await notes.on_update(ctx)
        case "Delete":
            if activity.object_uri == ctx.sender.uri:
                await actors.on_delete_actor(ctx)
            elif not await events.on_delete(ctx):
                await notes.on_delete(ctx)
        case "Like":
            await reactions.on_like(ctx)
        case "Announce":
            if not await events.on_announce(ctx):
                await reactions.on_announce(ctx)
        case "Join":
            if await groups.targets_local_group(ctx):
                await groups.on_join(ctx)
            else:
                await events.on_join(ctx)
        case "Leave":
            if await groups.targets_local_group(ctx):
                await groups.on_leave(ctx)
            else:
                await events.on_leave(ctx)
        case _:
            return
