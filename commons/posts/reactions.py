"""Likes and boosts by our residents: the services behind the web UI and the C2S API."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.notifications import notify
from config.errors import ErrorCode, NotAllowed
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Post, Reaction
from storage.models.posts import ANNOUNCE as ANNOUNCE
from storage.models.posts import LIKE as LIKE
from storage.models.posts import PUBLIC as PUBLIC_VISIBILITY


class NotBoostable(NotAllowed):
    """Only a public post may be boosted: a boost would show it to everyone."""

    def __init__(self, post_uri: str) -> None:
        super().__init__(ErrorCode.NOT_BOOSTABLE, uri=post_uri)


async def react(session: AsyncSession, uris: Uris, actor: Actor, post: Post, kind: str) -> Reaction:
    """Like or boost ``post``; its author hears of it (a notification when they are one of
    ours), and a boost goes to our followers too."""
    if kind == ANNOUNCE and post.visibility != PUBLIC_VISIBILITY:
        raise NotBoostable(post.uri)
    existing = await session.scalar(
        select(Reaction).where(
            Reaction.kind == kind, Reaction.actor_id == actor.id, Reaction.post_id == post.id
        )
    )
    if existing is not None:
        return existing
    author = await session.get(Actor, post.actor_id)
    assert author is not None
    activity_type = "Like" if kind == LIKE else "Announce"
    to = [author.uri] if kind == LIKE else [PUBLIC]
    cc = (
        []
        if kind == LIKE
        else [author.uri, *([actor.followers_uri] if actor.followers_uri else [])]
    )
    activity = build_activity(uris, activity_type, actor, post.uri, to, cc)
    reaction = Reaction(uri=activity["id"], kind=kind, actor_id=actor.id, post_id=post.id)
    session.add(reaction)
    await session.flush()
    inboxes = [] if author.is_local else [author.inbox_uri]
    await enqueue_activity(session, actor, activity, to_followers=kind == ANNOUNCE, inboxes=inboxes)
    if author.is_local:
        await notify(session, author.id, "like" if kind == LIKE else "boost", actor.id, post.id)
    return reaction


async def undo_reaction(
    session: AsyncSession, uris: Uris, actor: Actor, reaction: Reaction
) -> None:
    post = await session.get(Post, reaction.post_id)
    author = await session.get(Actor, post.actor_id) if post is not None else None
    await session.execute(delete(Reaction).where(Reaction.id == reaction.id))
    original = {
        "id": reaction.uri,
        "type": "Like" if reaction.kind == LIKE else "Announce",
        "actor": actor.uri,
        "object": post.uri if post is not None else None,
    }
    to = [author.uri] if author is not None else []
    undo = build_activity(
        uris, "Undo", actor, original, to, [PUBLIC] if reaction.kind == ANNOUNCE else []
    )
    inboxes = [author.inbox_uri] if author is not None and not author.is_local else []
    await enqueue_activity(
        session, actor, undo, to_followers=reaction.kind == ANNOUNCE, inboxes=inboxes
    )


async def toggle_reaction(
    session: AsyncSession, uris: Uris, actor: Actor, post: Post, kind: str
) -> Reaction | None:
    """Like (or boost) the post, or take the like back when there is one already; returns the
    new reaction, None when one was undone."""
    existing = await session.scalar(
        select(Reaction).where(
            Reaction.kind == kind, Reaction.actor_id == actor.id, Reaction.post_id == post.id
        )
    )
    if existing is not None:
        await undo_reaction(session, uris, actor, existing)
        return None
    return await react(session, uris, actor, post, kind)
