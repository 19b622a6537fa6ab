"""Following and unfollowing: the services behind the web UI and the client-to-server API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.notifications import notify
from config.uris import Uris
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Follow, utcnow
from storage.models.actors import APPLICATION
from storage.models.follows import ACCEPTED, PAUSED, PENDING


def accepts_at_once(target: Actor) -> bool:
    """A collective accepts every follower at once; a resident may choose to approve by hand."""
    return target.is_group or not target.manually_approves_followers


async def follow(session: AsyncSession, uris: Uris, follower: Actor, target: Actor) -> Follow:
    """Follow ``target``; a local one answers at once (and a resident hears of it), a remote one
    through its inbox."""
    existing = await session.scalar(
        select(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == target.id)
    )
    if existing is not None:
        return existing
    activity = build_activity(uris, "Follow", follower, target.uri, [target.uri], [])
    row = Follow(uri=activity["id"], follower_id=follower.id, followed_id=target.id, state=PENDING)
    session.add(row)
    if target.is_local:
        if accepts_at_once(target):
            row.state = ACCEPTED
            row.accepted_at = utcnow()
        await session.flush()
        if not target.is_group:
            kind = "follow" if row.state == ACCEPTED else "follow_request"
            await notify(session, target.id, kind, follower.id)
        return row
    await session.flush()
    await enqueue_activity(
        session, follower, activity, to_followers=False, inboxes=[target.inbox_uri]
    )
    return row


async def unfollow(session: AsyncSession, uris: Uris, follower: Actor, target: Actor) -> bool:
    """Stop following ``target``; a remote one is sent ``Undo(Follow)``. False if not following."""
    row = await session.scalar(
        select(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == target.id)
    )
    if row is None:
        return False
    await session.execute(delete(Follow).where(Follow.id == row.id))
    if not target.is_local:
        original = {"id": row.uri, "type": "Follow", "actor": follower.uri, "object": target.uri}
        undo = build_activity(uris, "Undo", follower, original, [target.uri], [])
        await enqueue_activity(
            session, follower, undo, to_followers=False, inboxes=[target.inbox_uri]
        )
    return True


async def answer_follow_request(
    session: AsyncSession, uris: Uris, followed: Actor, row: Follow, *, accept: bool
) -> None:
    """A resident who approves followers by hand accepts or rejects a pending request."""
    if row.followed_id != followed.id or row.state != PENDING:
        raise ValueError("not a pending request to this actor")
    follower = await session.get(Actor, row.follower_id)
    assert follower is not None
    original = {"id": row.uri, "type": "Follow", "actor": follower.uri, "object": followed.uri}
    if accept:
        row.state = ACCEPTED
        row.accepted_at = utcnow()
    else:
        await session.execute(delete(Follow).where(Follow.id == row.id))
    if follower.is_local:
        return
    answer = build_activity(
        uris, "Accept" if accept else "Reject", followed, original, [follower.uri], []
    )
    await enqueue_activity(
        session, followed, answer, to_followers=False, inboxes=[follower.inbox_uri]
    )


async def receive_follow(
    session: AsyncSession,
    uris: Uris,
    follower: Actor,
    target: Actor,
    *,
    follow_uri: str | None,
    original: dict[str, Any],
) -> Follow:
    """A remote ``Follow`` of one of ours: accepted at once (an ``Accept`` goes back) unless
    the resident approves followers by hand; a resident hears of it either way."""
    row = await session.scalar(
        select(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == target.id)
    )
    if row is None:
        row = Follow(uri=follow_uri, follower_id=follower.id, followed_id=target.id, state=PENDING)
        session.add(row)
    else:
        row.uri = follow_uri or row.uri
    if target.type == APPLICATION:
        # Our instance actor: a proposal of federation, which waits for the admin, unless it
        # answers ours (we follow its sender already).
        asked_first = await session.scalar(
            select(Follow.id).where(
                Follow.follower_id == target.id, Follow.followed_id == follower.id
            )
        )
        at_once = asked_first is not None
    else:
        at_once = accepts_at_once(target)
    if row.state == PAUSED:
        return row  # the admin paused federation with it: it stays held
    if at_once or row.state == ACCEPTED:
        row.state = ACCEPTED
        row.accepted_at = row.accepted_at or utcnow()
        await session.flush()
        accept = build_activity(uris, "Accept", target, original, [follower.uri], [])
        await enqueue_activity(
            session, target, accept, to_followers=False, inboxes=[follower.inbox_uri]
        )
    if not target.is_group and target.type != APPLICATION:
        await session.flush()
        kind = "follow" if row.state == ACCEPTED else "follow_request"
        await notify(session, target.id, kind, follower.id)
    return row
