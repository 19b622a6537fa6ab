"""Notifications: who followed, replied, mentioned, liked or boosted a resident, and what is new.

Facilitators also hear of what concerns their collective (:mod:`commons.posts.notices`)
and organisers of who comes to their events (:mod:`commons.events.notices`).

``notify`` is called inside the transaction of whatever caused it (an inbox handler, a local
service), so a notification exists exactly when its cause does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from commons.events.date_rsvps import occurrence_uri
from storage.blocks import is_limited_actor
from storage.models import (
    Actor,
    Event,
    Follow,
    Membership,
    Notification,
    Offer,
    Post,
    PostMention,
    utcnow,
)
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.community import NOTIFICATION_KINDS
from storage.models.follows import ACCEPTED
from storage.models.posts import MENTIONED

PAGE_SIZE = 30


RUNNING_ROLES = ("admin", "facilitator")
# Who is told, by kind, of what reaches a collective (an actor nobody logs in as): the people
# who run it (its accepted facilitators and admins) for these kinds, nobody for the others.
# Likes and boosts of its posts come as they are; mentions of it and replies to it come from
# commons.posts.notices, which keeps public posts only, as collective_mention/collective_reply.
RELAYED_TO_RUNNERS = frozenset(
    {
        "like",
        "boost",
        "collective_mention",
        "collective_reply",
        "offer_response",
        "booking_cancelled",
    }
)


async def running_members(session: AsyncSession, group_id: int) -> Sequence[int]:
    """The ids of the accepted facilitators and admins of a collective."""
    found = await session.scalars(
        select(Membership.member_id)
        .where(
            Membership.group_id == group_id,
            Membership.role.in_(RUNNING_ROLES),
            Membership.state == MEMBERSHIP_ACCEPTED,
        )
        .order_by(Membership.member_id)
    )
    return list(found)


async def notify(
    session: AsyncSession,
    recipient_id: int,
    kind: str,
    from_actor_id: int | None,
    post_id: int | None = None,
    group_id: int | None = None,
    *,
    event_id: int | None = None,
    occurrence: datetime | None = None,
    offer_id: int | None = None,
) -> Notification | None:
    """Tell a local actor; nobody is told of their own doing, nor twice of the same thing
    (the same kind, from the same person, about the same post, collective, event and date,
    while the first is unread)."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if from_actor_id is not None and from_actor_id == recipient_id:
        return None
    recipient = await session.get(Actor, recipient_id)
    if recipient is None or not recipient.is_local:
        return None
    if recipient.is_group:  # nobody reads a collective's own notifications
        if kind in RELAYED_TO_RUNNERS:
            for member_id in await running_members(session, recipient_id):
                await notify(session, member_id, kind, from_actor_id, post_id, recipient_id,
                             offer_id=offer_id)  # fmt: skip
        return None
    duplicate = await session.scalar(
        select(Notification.id).where(
            Notification.recipient_id == recipient_id,
            Notification.kind == kind,
            Notification.from_actor_id == from_actor_id,
            _same(Notification.post_id, post_id),
            _same(Notification.group_id, group_id),
            _same(Notification.event_id, event_id),
            _same(Notification.occurrence, occurrence),
            _same(Notification.offer_id, offer_id),
            Notification.read_at.is_(None),
        )
    )
    if duplicate is not None:
        return None
    notification = Notification(
        recipient_id=recipient_id,
        kind=kind,
        from_actor_id=from_actor_id,
        post_id=post_id,
        group_id=group_id,
        event_id=event_id,
        occurrence=occurrence,
        offer_id=offer_id,
        created_at=utcnow(),
    )
    session.add(notification)
    await session.flush()
    return notification


async def followers_among(session: AsyncSession, followed_id: int) -> set[int]:
    """The local actors whose follow of ``followed_id`` was accepted."""
    found = await session.scalars(
        select(Follow.follower_id)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(
            Follow.followed_id == followed_id, Follow.state == ACCEPTED, Actor.is_local.is_(True)
        )
    )
    return set(found.all())


def _same(column: InstrumentedAttribute[Any], value: object) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


@dataclass(frozen=True, slots=True)
class NotificationView:
    notification: Notification
    from_actor: Actor | None
    post: Post | None
    group: Actor | None
    event: Event | None = None
    offer: Offer | None = None

    @property
    def offer_path(self) -> str | None:
        """The page of the offer a notification names (ours at its id's path, others by row)."""
        if self.offer is None or self.offer.deleted_at is not None:
            return None
        if self.offer.is_local:
            return urlsplit(self.offer.uri).path
        return f"/offers/remote/{self.offer.id}"

    @property
    def is_unread(self) -> bool:
        return self.notification.read_at is None

    @property
    def event_path(self) -> str | None:
        """The page of the event (of its date, when the notification names one): ours only."""
        if self.event is None or not self.event.is_local:
            return None
        occurrence = self.notification.occurrence
        uri = occurrence_uri(self.event, occurrence) if occurrence else self.event.uri
        return urlsplit(uri).path


async def list_notifications(
    session: AsyncSession, recipient_id: int, *, before: int | None = None, limit: int = PAGE_SIZE
) -> Sequence[NotificationView]:
    sender = aliased(Actor)
    group = aliased(Actor)
    query = (
        select(Notification, sender, Post, group, Event, Offer)
        .outerjoin(sender, sender.id == Notification.from_actor_id)
        .outerjoin(Post, Post.id == Notification.post_id)
        .outerjoin(group, group.id == Notification.group_id)
        .outerjoin(Event, Event.id == Notification.event_id)
        .outerjoin(Offer, Offer.id == Notification.offer_id)
        .where(Notification.recipient_id == recipient_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Notification.id < before)
    rows = await session.execute(query)
    return [NotificationView(n, a, p, g, e, o) for n, a, p, g, e, o in rows]


async def mark_all_read(session: AsyncSession, recipient_id: int) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.recipient_id == recipient_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


async def notify_reply_and_mentions(session: AsyncSession, post: Post) -> None:
    """A new post tells the local author it answers (``reply``) and the locals it mentions; from
    a limited domain, only those who follow its author are told."""
    mentioned = set(
        (
            await session.scalars(
                select(PostMention.actor_id)
                .join(Actor, Actor.id == PostMention.actor_id)
                .where(PostMention.post_id == post.id, Actor.is_local.is_(True))
            )
        ).all()
    )
    replied_to: int | None = None
    listening: set[int] | None = None
    if await is_limited_actor(session, post.actor_id):
        listening = await followers_among(session, post.actor_id)
        mentioned &= listening
    if post.in_reply_to_uri:
        parent_author = await session.scalar(
            select(Post.actor_id).where(Post.uri == post.in_reply_to_uri, Post.is_local.is_(True))
        )
        if (
            parent_author is not None
            and (post.visibility != MENTIONED or parent_author in mentioned)
            and (listening is None or parent_author in listening)
        ):
            replied_to = parent_author
            await notify(session, parent_author, "reply", post.actor_id, post.id)
    for actor_id in sorted(mentioned - {replied_to}):
        await notify(session, actor_id, "mention", post.actor_id, post.id)
