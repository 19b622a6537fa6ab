"""Sharing an item into one of our collectives: proposed by a member, approved or refused by a
facilitator, announced, and removed again.

The collective announces the item's id (``Announce{object id}``): its origin is kept and the
object is never copied, so Mastodon shows a boost and fetches it from its own server. The item's
author is sent the Announce too, as Mastodon tells an author of boosts. Removing a share sends
``Undo{Announce}`` to the same people.

Who shares at once depends on the collective's ``share_approval``: with ``members`` (the
default) its facilitators and admins do and its members' shares wait; with ``everyone`` every
share waits, and another facilitator than the one who proposed it answers.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.follows import follow, unfollow
from actors.groups import find_membership, is_moderator
from commons.notifications import notify, running_members
from commons.shares.items import SharedItem, item_by_uri
from config.errors import Conflict, ErrorCode, Invalid, NotAllowed, NotFound
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from outbox.redistribution import build_group_announce
from storage.models import Actor, Follow, Share, utcnow
from storage.models.actors import GROUP, MEMBERSHIP_ACCEPTED
from storage.models.follows import ACCEPTED
from storage.models.shares import (
    EVERYONE_WAITS,
    SHARE_APPROVALS,
    SHARE_PENDING,
    SHARE_REFUSED,
    SHARE_SHARED,
)


class MembersOnly(NotAllowed):
    def __init__(self) -> None:
        super().__init__(ErrorCode.SHARE_MEMBERS_ONLY)


class FacilitatorsOnly(NotAllowed):
    def __init__(self) -> None:
        super().__init__(ErrorCode.NOT_ALLOWED)


class NotShareable(NotAllowed):
    def __init__(self) -> None:
        super().__init__(ErrorCode.SHARE_NOT_PUBLIC)


class NotWaiting(Conflict):
    def __init__(self) -> None:
        super().__init__(ErrorCode.SHARE_NOT_WAITING)


class OwnApproval(NotAllowed):
    def __init__(self) -> None:
        super().__init__(ErrorCode.SHARE_OWN_APPROVAL)


class NoSuchShare(NotFound):
    def __init__(self) -> None:
        super().__init__(ErrorCode.INVALID)


async def share_into(
    session: AsyncSession, uris: Uris, group: Actor, sharer: Actor, item: SharedItem
) -> Share:
    """A member shares ``item`` into ``group``: announced at once or waiting for approval.

    Sharing again what is shared or waiting changes nothing; what was refused is proposed
    again.
    """
    membership = await find_membership(session, group, sharer)
    if membership is None or membership.state != MEMBERSHIP_ACCEPTED or not group.is_local:
        raise MembersOnly()
    if not item.is_shareable:
        raise NotShareable()
    share = await _share_of(session, group, item.uri)
    if share is not None and share.state != SHARE_REFUSED:
        return share
    if share is None:
        share = Share(group_id=group.id, object_uri=item.uri, object_kind=item.kind)
        session.add(share)
    share.sharer_id, share.via_id, share.state = sharer.id, None, SHARE_PENDING
    share.decided_by_id = share.decided_at = None
    await session.flush()
    if group.share_approval != EVERYONE_WAITS and is_moderator(membership):
        await publish_share(session, uris, group, share, decided_by=sharer)
    else:
        await tell_runners_of_waiting(session, group, share, sharer.id)
    return share


async def propose_from_followed(
    session: AsyncSession, uris: Uris, group: Actor, via: Actor, item: SharedItem
) -> Share | None:
    """What a collective ``group`` follows announced or published: proposed to its
    facilitators, or shared at once when the collective chose so. Once only per item, and
    never its own items coming back."""
    if not item.is_shareable or item.author.id == group.id:
        return None
    if await _share_of(session, group, item.uri) is not None:
        return None
    share = Share(group_id=group.id, object_uri=item.uri, object_kind=item.kind,
                  via_id=via.id, state=SHARE_PENDING)  # fmt: skip
    session.add(share)
    await session.flush()
    if group.shares_followed_directly:
        await publish_share(session, uris, group, share, decided_by=None)
    else:
        await tell_runners_of_waiting(session, group, share, via.id)
    return share


async def tell_runners_of_waiting(
    session: AsyncSession, group: Actor, share: Share, from_actor_id: int
) -> None:
    for member_id in await running_members(session, group.id):
        await notify(session, member_id, "share_waiting", from_actor_id, group_id=group.id)


async def approve_share(
    session: AsyncSession, uris: Uris, group: Actor, facilitator: Actor, share_id: int
) -> Share:
    await _require_runner(session, group, facilitator)
    share = await _waiting(session, group, share_id)
    if group.share_approval == EVERYONE_WAITS and share.sharer_id == facilitator.id:
        raise OwnApproval()
    item = await item_by_uri(session, share.object_uri)
    if item is None or not item.is_shareable:
        raise NotShareable()
    await publish_share(session, uris, group, share, decided_by=facilitator)
    return share


async def refuse_share(
    session: AsyncSession, group: Actor, facilitator: Actor, share_id: int
) -> Share:
    """Nothing goes out; the member who proposed it is told."""
    await _require_runner(session, group, facilitator)
    share = await _waiting(session, group, share_id)
    share.state, share.decided_by_id, share.decided_at = SHARE_REFUSED, facilitator.id, utcnow()
    if share.sharer_id is not None:
        await notify(session, share.sharer_id, "share_refused", facilitator.id, group_id=group.id)
    return share


async def remove_share(
    session: AsyncSession, uris: Uris, group: Actor, facilitator: Actor, share_id: int
) -> None:
    """A shared item leaves the collective: ``Undo{Announce}`` to whom the Announce went."""
    await _require_runner(session, group, facilitator)
    share = await _share_by_id(session, group, share_id)
    if share.state == SHARE_SHARED and share.announce_uri:
        announce = {"id": share.announce_uri, "type": "Announce", "actor": group.uri,
                    "object": share.object_uri}  # fmt: skip
        to, cc = announce_addressing(group)
        undo = build_activity(uris, "Undo", group, announce, to, cc)
        await enqueue_activity(session, group, undo, inboxes=await _author_inbox(session, share))
    await session.execute(delete(Share).where(Share.id == share.id))


async def publish_share(
    session: AsyncSession, uris: Uris, group: Actor, share: Share, *, decided_by: Actor | None
) -> None:
    announce = build_group_announce(uris, group, share.object_uri)
    await enqueue_activity(session, group, announce, inboxes=await _author_inbox(session, share))
    share.state, share.announce_uri, share.decided_at = SHARE_SHARED, announce["id"], utcnow()
    share.decided_by_id = decided_by.id if decided_by is not None else None
    await offer_to_followers(session, uris, group, share.object_uri)


async def set_share_approval(
    session: AsyncSession, group: Actor, facilitator: Actor, approval: str, *,
    followed_directly: bool,
) -> None:  # fmt: skip
    await _require_runner(session, group, facilitator)
    if approval not in SHARE_APPROVALS:
        raise Invalid(ErrorCode.INVALID, "share_approval")
    group.share_approval = approval
    group.shares_followed_directly = followed_directly


def announce_addressing(group: Actor) -> tuple[list[str], list[str]]:
    """As the Announce it undoes: public, to the collective's followers."""
    return [PUBLIC], [group.followers_uri or f"{group.uri}/followers"]


async def _author_inbox(session: AsyncSession, share: Share) -> list[str]:
    item = await item_by_uri(session, share.object_uri)
    if item is None or item.author.is_local:
        return []
    return [item.author.inbox_uri]


async def _require_runner(session: AsyncSession, group: Actor, person: Actor) -> None:
    if not is_moderator(await find_membership(session, group, person)):
        raise FacilitatorsOnly()


async def _share_by_id(session: AsyncSession, group: Actor, share_id: int) -> Share:
    """A share of ``group`` (the address's id is one a row can have: :mod:`webui.path_ids`)."""
    share = await session.scalar(
        select(Share).where(Share.id == share_id, Share.group_id == group.id)
    )
    if share is None:
        raise NoSuchShare()
    return share


async def _waiting(session: AsyncSession, group: Actor, share_id: int) -> Share:
    share = await _share_by_id(session, group, share_id)
    if share.state != SHARE_PENDING:
        raise NotWaiting()
    return share


async def _share_of(session: AsyncSession, group: Actor, uri: str) -> Share | None:
    return await session.scalar(
        select(Share).where(Share.group_id == group.id, Share.object_uri == uri)
    )


async def offer_to_followers(
    session: AsyncSession, uris: Uris, collective: Actor, object_uri: str
) -> int:
    """The item ``collective`` announced or published, proposed to the collectives of ours
    that follow it; how many were offered it."""
    followers = (
        await session.scalars(
            select(Actor)
            .join(Follow, Follow.follower_id == Actor.id)
            .where(
                Follow.followed_id == collective.id,
                Follow.state == ACCEPTED,
                Actor.is_local.is_(True),
                Actor.type == GROUP,
                Actor.is_gone.is_(False),
            )
            .order_by(Actor.id)
        )
    ).all()
    if not followers:
        return 0
    item = await item_by_uri(session, object_uri)
    if item is None:
        return 0
    offered = 0
    for group in followers:
        if await propose_from_followed(session, uris, group, collective, item) is not None:
            offered += 1
    return offered


class NotACollective(NotAllowed):
    def __init__(self) -> None:
        super().__init__(ErrorCode.FOLLOW_NOT_A_COLLECTIVE, "handle")


async def follow_collective(
    session: AsyncSession, uris: Uris, group: Actor, facilitator: Actor, target: Actor
) -> None:
    """Our collective follows another (here or elsewhere): what it publishes comes to the
    queue of ours (:func:`offer_to_followers`)."""
    await _require_runner(session, group, facilitator)
    if not target.is_group or target.id == group.id or target.is_gone:
        raise NotACollective()
    await follow(session, uris, group, target)


async def unfollow_collective(
    session: AsyncSession, uris: Uris, group: Actor, facilitator: Actor, target_id: int
) -> None:
    await _require_runner(session, group, facilitator)
    target = await session.get(Actor, target_id)
    if target is None:
        raise NoSuchShare()
    await unfollow(session, uris, group, target)


async def offer_local_publication(
    session: AsyncSession, uris: Uris, publisher: Actor | None, object_uri: str
) -> int:
    """A new item of one of our collectives, offered to the collectives of ours that follow it
    (those elsewhere hear of it through their inbox)."""
    if publisher is None or not publisher.is_local or not publisher.is_group:
        return 0
    return await offer_to_followers(session, uris, publisher, object_uri)
