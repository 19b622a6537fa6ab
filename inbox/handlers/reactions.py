"""Like, Announce (boost) and their Undo, and what collectives redistribute (FEP-1b12).

A boosted post we do not have, and the object of a redistributed activity, were read from
their own servers before the transaction (:mod:`inbox.fetches`); nothing here waits on the
network.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.notifications import notify
from commons.posts.received import erase_post
from commons.posts.remote import store_remote_post
from federation.vocab import first_str
from inbox.context import InboxContext
from inbox.handlers.following import undo_follow
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles
from storage.models import Post, Reaction
from storage.models.posts import ANNOUNCE, LIKE
from storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)


async def _react(ctx: InboxContext, session: AsyncSession, kind: str, post: Post) -> None:
    """One reaction of a kind per actor and post: a second Like under a new id changes nothing."""
    existing = await session.scalar(
        select(Reaction.id).where(
            Reaction.kind == kind, Reaction.actor_id == ctx.sender.id, Reaction.post_id == post.id
        )
    )
    if existing is not None:
        return
    await insert_ignoring_duplicates(
        session,
        Reaction,
        [{"uri": ctx.activity.id, "kind": kind, "actor_id": ctx.sender.id, "post_id": post.id}],
        ["uri"],
    )
    if post.is_local:
        await notify(
            session, post.actor_id, "like" if kind == LIKE else "boost", ctx.sender.id, post.id
        )


@handles("Like", ObjectKind.KNOWN_POST)
async def on_like(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.post is not None
    await _react(ctx, session, LIKE, target.post)


@handles("Announce", ObjectKind.KNOWN_POST)
async def on_boost(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    assert target.post is not None
    await _react(ctx, session, ANNOUNCE, target.post)


@handles("Announce", ObjectKind.REMOTE_NOTE)
async def on_boost_of_new_post(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """A boost of a post we did not have: kept as its own server serves it, then boosted."""
    post = await _keep_fetched(session, target)
    await _react(ctx, session, ANNOUNCE, post)


async def _keep_fetched(session: AsyncSession, target: Target, *, refresh: bool = False) -> Post:
    note, author = target.note, target.actor
    assert note is not None and note.id is not None and author is not None
    existing = await session.scalar(select(Post).where(Post.uri == note.id))
    if existing is not None and not refresh:
        return existing
    return await store_remote_post(session, note, author, target.audience)


@handles("Announce", ObjectKind.REDISTRIBUTED)
async def on_redistributed(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """``Announce{Create|Update|Delete}`` by a collective, as its object's server answered."""
    inner = ctx.activity.object or {}
    match first_str(inner.get("type")):
        case "Create" | "Update" as inner_type if target.note is not None:
            if inner_type == "Create" and target.post is not None:
                return
            if inner_type == "Update" and target.post is None:
                return
            await _keep_fetched(session, target, refresh=inner_type == "Update")
        case "Delete" if target.gone and target.post is not None:
            erase_post(target.post)


@handles("Undo", ObjectKind.REACTION)
async def on_undo_reaction(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    reaction_uri = ctx.activity.object_uri
    if not reaction_uri:
        return
    await session.execute(
        delete(Reaction).where(Reaction.uri == reaction_uri, Reaction.actor_id == ctx.sender.id)
    )


@handles("Undo", ObjectKind.REFERENCE)
async def on_undo_by_id(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """An Undo naming only an id: the sender's reaction or follow under that id."""
    await on_undo_reaction(ctx, session, target)
    await undo_follow(ctx, session, None)
