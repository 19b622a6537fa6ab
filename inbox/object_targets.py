"""What a received object is: the targets of Create, Update, Delete and Announce, an object of
another server (an event, an offer, a petition, a poll, a note) or one we keep."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.received import RemoteEvent
from commons.offers.received import RemoteOffer
from commons.offers.wire import is_offer, parse_remote_offer
from commons.petitions.received import is_petition
from commons.petitions.wire import is_vote
from commons.polls.wire import is_poll
from commons.posts.remote import POST_TYPES
from config.errors import DomainError
from federation.errors import InvalidActivity
from federation.parsing import ParsedObject, parse_object
from federation.vocab import ACTOR_TYPES, first_str, id_of, same_origin
from inbox.addressed_groups import groups_named
from inbox.context import InboxContext
from inbox.fetches import REDISTRIBUTED, Fetched, is_event
from inbox.kinds import ObjectKind, Target, nothing
from inbox.our_rows import live_post, local_event, local_offer, our_petition, our_poll
from storage.models import Event, Offer, Petition, Poll, Post


async def created(session: AsyncSession, ctx: InboxContext, fetched: Fetched) -> Target:
    data = ctx.activity.object
    if data is None:
        return nothing("no embedded object")
    if (target := _event_or_offer(ctx, fetched)) is not None:
        return target
    if is_vote(data) and (petition := await our_petition(session, data)) is not None:
        return Target(ObjectKind.VOTE_ON_OUR_PETITION, petition=petition, vote=ctx.activity.raw)
    if is_vote(data) and (poll := await our_poll(session, data)) is not None:
        return Target(ObjectKind.VOTE_IN_OUR_POLL, poll=poll, vote=ctx.activity.raw)
    if (target := _question(data)) is not None:
        return target
    note = _parsed(ctx)
    if isinstance(note, str):
        return nothing(note)
    replied = id_of(data.get("inReplyTo"))
    event = await local_event(session, replied)
    if event is not None:
        return Target(ObjectKind.REPLY_TO_OUR_EVENT, note=note, event=event)
    if replied and "/offers/" in replied and (offer := await local_offer(session, replied)):
        return Target(ObjectKind.REPLY_TO_OUR_OFFER, note=note, offer=offer)
    if note.type not in POST_TYPES:
        return nothing(f"a {note.type} is no post")
    local, remote = await groups_named(session, note)
    if local is not None:
        return Target(ObjectKind.POST_TO_OUR_GROUP, note=note, actor=local)
    return Target(ObjectKind.REMOTE_NOTE, note=note, audience=remote)


async def updated(session: AsyncSession, ctx: InboxContext, fetched: Fetched) -> Target:
    data = ctx.activity.object
    if data is None:
        return nothing("no embedded object")
    if first_str(data.get("type")) in ACTOR_TYPES:
        return Target(ObjectKind.ACTOR)
    if (target := _event_or_offer(ctx, fetched)) is not None:
        return target
    if (target := _question(data)) is not None:
        return target
    note = _parsed(ctx)
    if isinstance(note, str):
        return nothing(note)
    post = await session.scalar(select(Post).where(Post.uri == note.id))
    if post is None:
        return nothing("unknown post")
    return Target(ObjectKind.KNOWN_POST, note=note, post=post)


async def deleted(session: AsyncSession, ctx: InboxContext) -> Target:
    activity = ctx.activity
    if activity.object_uri == ctx.sender.uri:
        return Target(ObjectKind.THE_SENDER)
    if activity.object_uri:
        event = await session.scalar(select(Event).where(Event.uri == activity.object_uri))
        if event is not None:
            return Target(ObjectKind.KNOWN_EVENT, event=event)
        offer = await session.scalar(select(Offer).where(Offer.uri == activity.object_uri))
        if offer is not None:
            return Target(ObjectKind.KNOWN_OFFER, offer=offer)
        petition = await session.scalar(select(Petition).where(Petition.uri == activity.object_uri))
        if petition is not None:
            return Target(ObjectKind.KNOWN_PETITION, petition=petition)
        poll = await session.scalar(select(Poll).where(Poll.uri == activity.object_uri))
        if poll is not None:
            return Target(ObjectKind.KNOWN_POLL, poll=poll)
    uri = activity.object_uri or id_of(activity.object)
    post = await session.scalar(select(Post).where(Post.uri == uri)) if uri else None
    if post is None:
        return nothing("unknown object")
    return Target(ObjectKind.KNOWN_POST, post=post)


async def announced(session: AsyncSession, ctx: InboxContext, fetched: Fetched) -> Target:
    if fetched.event is not None:
        return _event_target(fetched.event)
    obj = ctx.activity.object
    inner_type = first_str(obj.get("type")) if obj is not None else None
    if obj is not None and inner_type in REDISTRIBUTED:
        if not ctx.sender.is_group:
            return nothing("only a collective redistributes")
        uri = id_of(obj.get("object"))
        post = await session.scalar(select(Post).where(Post.uri == uri)) if uri else None
        found = fetched.post
        return Target(
            ObjectKind.REDISTRIBUTED,
            post=post,
            note=found.note if found else None,
            actor=found.author if found else None,
            audience=found.audience if found else None,
            gone=fetched.gone,
        )
    if (fetched.known == "event" and obj is None) or fetched.known == "kept":
        return nothing("an event, offer or petition we already keep")
    post = await live_post(session, ctx.activity.object_uri)
    if post is not None:
        return Target(ObjectKind.KNOWN_POST, post=post)
    if fetched.post is not None:
        found = fetched.post
        return Target(ObjectKind.REMOTE_NOTE, note=found.note, actor=found.author,
                      audience=found.audience)  # fmt: skip
    return nothing("a boosted object we cannot have")


def _event_or_offer(ctx: InboxContext, fetched: Fetched) -> Target | None:
    """An event or an offer of the sender's server; None for anything else."""
    data = ctx.activity.object
    assert data is not None
    if is_event(data):
        if not same_origin(id_of(data.get("id")), ctx.sender.uri):
            return nothing("an event of another server")
        return _event_target(fetched.event)
    if is_offer(data):
        return _offer_target(ctx)
    return None


def _question(data: dict[str, Any]) -> Target | None:
    """A remote petition or poll, whose tallies its server keeps; None for anything else."""
    if is_petition(data):
        return Target(ObjectKind.REMOTE_PETITION, vote=dict(data))
    if is_poll(data):
        return Target(ObjectKind.REMOTE_POLL, vote=dict(data))
    return None


def _parsed(ctx: InboxContext) -> ParsedObject | str:
    if ctx.activity.object is None:
        return "no embedded object"
    try:
        obj = parse_object(ctx.activity.object)
    except InvalidActivity as error:
        return f"unusable object: {error}"
    return obj if obj.id is not None else "an object without id"


def _offer_target(ctx: InboxContext) -> Target:
    """A Proposal of the sender's own server, read (not yet kept: the handler decides)."""
    data = ctx.activity.object
    assert data is not None
    if not same_origin(id_of(data.get("id")), ctx.sender.uri):
        return nothing("an offer of another server")
    try:
        read = parse_remote_offer(data)
    except DomainError as error:
        return nothing(f"unusable offer: {error}")
    return Target(ObjectKind.REMOTE_OFFER,
                  remote_offer=RemoteOffer(read, ctx.sender, dict(data)))  # fmt: skip


def _event_target(event: RemoteEvent | str | None) -> Target:
    if isinstance(event, RemoteEvent):
        return Target(ObjectKind.REMOTE_EVENT, remote_event=event)
    return nothing(event or "an event we cannot use")
