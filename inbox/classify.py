"""Resolving once what a received activity is about: its object's kind and the rows it names.

Runs inside the item's transaction, after :mod:`inbox.fetches` (which needs no transaction).
The embedded object is parsed here and only here (:mod:`inbox.object_targets`); the handlers
are given the result. What answers and undos name is in :mod:`inbox.answer_targets`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.answer_targets import answered, flagged, joined, offered, undone
from inbox.context import InboxContext
from inbox.fetches import Fetched
from inbox.kinds import ObjectKind, Target, nothing
from inbox.object_targets import announced, created, deleted, updated
from inbox.our_rows import live_post, local_actor, our_proposal


async def classify(session: AsyncSession, ctx: InboxContext, fetched: Fetched) -> Target:
    activity = ctx.activity
    match activity.type:
        case "Follow":
            actor = await local_actor(session, activity.object_uri)
            if actor is None:
                return nothing(f"no actor of ours is {activity.object_uri}")
            return Target(ObjectKind.OUR_ACTOR, actor=actor)
        case "Accept" | "Reject":
            return await answered(session, ctx)
        case "Undo":
            return await undone(session, ctx)
        case "Create":
            return await created(session, ctx, fetched)
        case "Update":
            return await updated(session, ctx, fetched)
        case "Delete":
            return await deleted(session, ctx)
        case "Like":
            if (proposal := await our_proposal(session, activity.object_uri)) is not None:
                return Target(ObjectKind.OUR_PROPOSAL, proposal=proposal)
            post = await live_post(session, activity.object_uri)
            return Target(ObjectKind.KNOWN_POST, post=post) if post else nothing("unknown post")
        case "Announce":
            return await announced(session, ctx, fetched)
        case "Join" | "Leave":
            return await joined(session, activity.object_uri, groups_first=True)
        case "Flag":
            return await flagged(session, ctx)
        case "Offer":
            return await offered(session, ctx)
    return nothing(f"{activity.type} is not an activity we act on")
