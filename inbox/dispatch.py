"""From an activity's type (and its object's) to the one handler that applies it."""

from __future__ import annotations

from federation.vocab import first_str
from inbox.context import InboxContext
from inbox.handlers import actors, following, notes, reactions

ACTOR_TYPES = frozenset({"Person", "Group", "Application", "Service", "Organization"})


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
            await following.on_accept(ctx)
        case "Reject":
            await following.on_reject(ctx)
        case "Undo":
            match _object_type(ctx):
                case "Follow":
                    await following.on_undo_follow(ctx)
                case "Like" | "Announce" | "EmojiReact":
                    await reactions.on_undo_reaction(ctx)
                case None:
                    await reactions.on_undo_reaction(ctx)
                    await following.on_undo_follow(ctx)
        case "Create":
            await notes.on_create(ctx)
        case "Update":
            if _object_type(ctx) in ACTOR_TYPES:
                await actors.on_update_actor(ctx)
            else:
                await notes.on_update(ctx)
        case "Delete":
            if activity.object_uri == ctx.sender.uri:
                await actors.on_delete_actor(ctx)
            else:
                await notes.on_delete(ctx)
        case "Like":
            await reactions.on_like(ctx)
        case "Announce":
            await reactions.on_announce(ctx)
        case _:
            return
