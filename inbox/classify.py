"""Resolving once what a received activity is about: its object's kind and the rows it names.

Runs inside the item's transaction, after :mod:`inbox.fetches` (which needs no transaction).
The embedded object is parsed here and only here; the handlers are given the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.reports import reported_here
from commons.events.date_rsvps import split_occurrence_uri
from commons.events.dates import date_on
from commons.events.received import RemoteEvent
from commons.offers.agreement_wire import is_agreement_offer, read_agreement_offer
from commons.offers.received import RemoteOffer
from commons.offers.wire import is_offer, parse_remote_offer
from commons.petitions.received import is_petition
from commons.petitions.wire import is_vote
from commons.polls.wire import is_poll
from commons.posts.remote import POST_TYPES
from config.errors import DomainError
from federation.errors import InvalidActivity
from federation.parsing import ParsedObject, parse_object
from federation.vocab import ACTOR_TYPES, as_list, first_str, id_of, is_public, same_origin
from inbox.context import InboxContext
from inbox.fetches import REDISTRIBUTED, Fetched, is_event
from inbox.kinds import ObjectKind, Target, nothing
from storage.models import (
    Actor,
    Event,
    Follow,
    Offer,
    OfferResponse,
    Petition,
    Poll,
    Post,
    Proposal,
    Rsvp,
    Signature,
)
from storage.models.actors import GROUP
from storage.models.petitions import HERE

REACTION_TYPES = frozenset({"Like", "Announce", "EmojiReact"})


async def classify(session: AsyncSession, ctx: InboxContext, fetched: Fetched) -> Target:
    activity = ctx.activity
    match activity.type:
        case "Follow":
            actor = await _local_actor(session, activity.object_uri)
            if actor is None:
                return nothing(f"no actor of ours is {activity.object_uri}")
            return Target(ObjectKind.OUR_ACTOR, actor=actor)
        case "Accept" | "Reject":
            return await _answered(session, ctx)
        case "Undo":
            return await _undone(session, ctx)
        case "Create":
            return await _created(session, ctx, fetched)
        case "Update":
            return await _updated(session, ctx, fetched)
        case "Delete":
            return await _deleted(session, ctx)
        case "Like":
            if (proposal := await _our_proposal(session, activity.object_uri)) is not None:
                return Target(ObjectKind.OUR_PROPOSAL, proposal=proposal)
            post = await _live_post(session, activity.object_uri)
            return Target(ObjectKind.KNOWN_POST, post=post) if post else nothing("unknown post")
        case "Announce":
            return await _announced(session, ctx, fetched)
        case "Join" | "Leave":
            return await _joined(session, activity.object_uri, groups_first=True)
        case "Flag":
            return await _flagged(session, ctx)
        case "Offer":
            return await _offered(session, ctx)
    return nothing(f"{activity.type} is not an activity we act on")


# Reading the object


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


# Rows of ours


async def _local_actor(session: AsyncSession, uri: str | None) -> Actor | None:
    if not uri:
        return None
    return await session.scalar(select(Actor).where(Actor.uri == uri, Actor.is_local.is_(True)))


async def _local_group(session: AsyncSession, uri: str | None) -> Actor | None:
    if not uri:
        return None
    return await session.scalar(
        select(Actor).where(
            Actor.uri == uri,
            Actor.is_local.is_(True),
            Actor.type == GROUP,
            Actor.is_gone.is_(False),
        )
    )


async def _local_event(session: AsyncSession, uri: str | None) -> Event | None:
    if not uri:
        return None
    return await session.scalar(
        select(Event).where(Event.uri == uri, Event.is_local.is_(True), Event.deleted_at.is_(None))
    )


async def _local_offer(session: AsyncSession, uri: str) -> Offer | None:
    return await session.scalar(
        select(Offer).where(Offer.uri == uri, Offer.is_local.is_(True), Offer.deleted_at.is_(None))
    )


async def _live_post(session: AsyncSession, uri: str | None) -> Post | None:
    if not uri:
        return None
    return await session.scalar(select(Post).where(Post.uri == uri, Post.deleted_at.is_(None)))


async def _joined(session: AsyncSession, uri: str | None, *, groups_first: bool) -> Target:
    """What a Join, Leave or Undo{Join} names: our collective, our event, or a date of ours."""
    if groups_first and (group := await _local_group(session, uri)) is not None:
        return Target(ObjectKind.OUR_GROUP, actor=group, uri=uri)
    event = await _local_event(session, uri)
    if event is not None:
        return Target(ObjectKind.OUR_EVENT, event=event, uri=uri)
    named = split_occurrence_uri(uri)
    series = await _local_event(session, named[0]) if named is not None else None
    if named is not None and series is not None:
        found = await date_on(session, series, named[1]) if series.rrule else None
        return Target(ObjectKind.OUR_DATE, event=series, uri=uri,
                      date=found.start if found is not None else None)  # fmt: skip
    if not groups_first and (group := await _local_group(session, uri)) is not None:
        return Target(ObjectKind.OUR_GROUP, actor=group, uri=uri)
    return nothing(f"{uri} is none of our collectives, events or dates")


# By activity


async def _offered(session: AsyncSession, ctx: InboxContext) -> Target:
    """An ``Offer{Agreement}``: someone answers one of our offers (FEP-0837)."""
    if not is_agreement_offer(ctx.activity.raw):
        return nothing("an Offer of something else than an Agreement")
    try:
        proposed = read_agreement_offer(ctx.activity.raw)
    except DomainError as error:
        return nothing(f"unusable agreement: {error}")
    offer_uri = proposed.satisfies.split("#", 1)[0]
    offer = await session.scalar(
        select(Offer).where(Offer.uri == offer_uri, Offer.is_local.is_(True))
    )
    if offer is None:
        return nothing(f"{offer_uri} is none of our offers")
    return Target(ObjectKind.OUR_OFFER, offer=offer, proposed=proposed)


async def _flagged(session: AsyncSession, ctx: InboxContext) -> Target:
    """A report: the accounts and posts of ours among the ids it names."""
    named = [
        uri for uri in (id_of(item) for item in as_list(ctx.activity.raw.get("object"))) if uri
    ]
    reported = await reported_here(session, named)
    if not reported.is_ours:
        return nothing("a report about nothing of ours")
    return Target(ObjectKind.REPORTED, named=named, reported=reported)


async def _answered(session: AsyncSession, ctx: InboxContext) -> Target:
    """An Accept or Reject of a Join one of ours sent to an event, or of one of our Follows."""
    activity = ctx.activity
    obj, answered = activity.object, activity.object_uri
    answers_a_join = obj is None or "Join" in as_list(obj.get("type"))
    if answers_a_join and answered and await _our_join(session, answered):
        return Target(ObjectKind.OUR_JOIN, uri=answered)
    if activity.type == "Reject" and answered:
        vote = await session.scalar(
            select(Signature).where(Signature.vote_uri == answered, Signature.way == HERE)
        )
        if vote is not None:
            return Target(ObjectKind.OUR_VOTE, signature=vote, uri=answered)
    answers_an_offer = obj is None or "Offer" in as_list(obj.get("type"))
    if answers_an_offer and answered and (response := await _our_response(session, answered)):
        return Target(ObjectKind.OUR_RESPONSE, uri=answered, response=response)
    follow = None
    if answered:
        follow = await session.scalar(
            select(Follow).where(Follow.uri == answered, Follow.followed_id == ctx.sender.id)
        )
    embedded_types = as_list(obj.get("type")) if obj is not None else []
    if follow is None and obj is not None and (not embedded_types or "Follow" in embedded_types):
        # A Follow answered under an id we do not know (some servers answer with their own):
        # known by its follower, ours, and the sender it followed
        follower = await _local_actor(session, id_of(obj.get("actor")))
        if follower is not None:
            follow = await session.scalar(
                select(Follow).where(
                    Follow.follower_id == follower.id, Follow.followed_id == ctx.sender.id
                )
            )
    if follow is None:
        return nothing("no Join or Follow of ours is answered")
    return Target(ObjectKind.OUR_FOLLOW, follow=follow)


async def _our_response(session: AsyncSession, uri: str) -> OfferResponse | None:
    """An answer one of our residents sent to another server's offer."""
    return await session.scalar(
        select(OfferResponse)
        .join(Actor, Actor.id == OfferResponse.responder_id)
        .where(OfferResponse.uri == uri, Actor.is_local.is_(True))
    )


async def _our_petition(session: AsyncSession, vote: dict[str, Any]) -> Petition | None:
    """The petition of ours a vote answers."""
    replied = id_of(vote.get("inReplyTo"))
    if not replied or "/petitions/" not in replied:
        return None
    return await session.scalar(
        select(Petition).where(Petition.uri == replied, Petition.is_local.is_(True))
    )


async def _our_poll(session: AsyncSession, vote: dict[str, Any]) -> Poll | None:
    """The poll of ours a vote answers."""
    replied = id_of(vote.get("inReplyTo"))
    if not replied or "/polls/" not in replied:
        return None
    return await session.scalar(select(Poll).where(Poll.uri == replied, Poll.is_local.is_(True)))


async def _our_proposal(session: AsyncSession, uri: str | None) -> Proposal | None:
    if not uri or "/proposals/" not in uri:
        return None
    return await session.scalar(
        select(Proposal).where(Proposal.uri == uri, Proposal.is_local.is_(True))
    )


async def _our_join(session: AsyncSession, uri: str) -> bool:
    return await session.scalar(select(Rsvp.id).where(Rsvp.uri == uri)) is not None


async def _undone(session: AsyncSession, ctx: InboxContext) -> Target:
    inner = ctx.activity.object
    inner_type = first_str(inner.get("type")) if inner is not None else None
    if inner_type == "Follow":
        return Target(ObjectKind.FOLLOW, uri=id_of((inner or {}).get("object")))
    if inner_type == "Join":
        return await _joined(session, id_of((inner or {}).get("object")), groups_first=False)
    if inner_type == "Like" and isinstance(inner, dict):
        proposal = await _our_proposal(session, id_of(inner.get("object")))
        if proposal is not None:
            return Target(ObjectKind.OUR_PROPOSAL, proposal=proposal)
    if inner_type in REACTION_TYPES:
        return Target(ObjectKind.REACTION)
    if inner_type == "Offer":
        uri = id_of(inner)
        response = await session.scalar(
            select(OfferResponse).where(OfferResponse.uri == uri)
        ) if uri else None  # fmt: skip
        if response is None:
            return nothing(f"no answer to our offers is {uri}")
        return Target(ObjectKind.ANSWER_TO_OUR_OFFER, response=response, uri=uri)
    if inner_type == "Create" and isinstance(inner, dict):
        voted = inner.get("object")
        if isinstance(voted, dict) and is_vote(voted):
            petition = await _our_petition(session, voted)
            if petition is not None:
                return Target(ObjectKind.VOTE_ON_OUR_PETITION, petition=petition, vote=inner)
        return nothing("an Undo of a Create that is no vote of ours")
    if inner_type is None:
        return Target(ObjectKind.REFERENCE)
    return nothing(f"an Undo of {inner_type}")


async def _created(session: AsyncSession, ctx: InboxContext, fetched: Fetched) -> Target:
    data = ctx.activity.object
    if data is None:
        return nothing("no embedded object")
    if is_event(data):
        if not same_origin(id_of(data.get("id")), ctx.sender.uri):
            return nothing("an event of another server")
        return _event_target(fetched.event)
    if is_offer(data):
        return _offer_target(ctx)
    if is_vote(data) and (petition := await _our_petition(session, data)) is not None:
        return Target(ObjectKind.VOTE_ON_OUR_PETITION, petition=petition, vote=ctx.activity.raw)
    if is_vote(data) and (poll := await _our_poll(session, data)) is not None:
        return Target(ObjectKind.VOTE_IN_OUR_POLL, poll=poll, vote=ctx.activity.raw)
    if is_petition(data):
        return Target(ObjectKind.REMOTE_PETITION, vote=dict(data))
    if is_poll(data):
        return Target(ObjectKind.REMOTE_POLL, vote=dict(data))
    note = _parsed(ctx)
    if isinstance(note, str):
        return nothing(note)
    replied = id_of(data.get("inReplyTo"))
    event = await _local_event(session, replied)
    if event is not None:
        return Target(ObjectKind.REPLY_TO_OUR_EVENT, note=note, event=event)
    if replied and "/offers/" in replied and (offer := await _local_offer(session, replied)):
        return Target(ObjectKind.REPLY_TO_OUR_OFFER, note=note, offer=offer)
    if note.type not in POST_TYPES:
        return nothing(f"a {note.type} is no post")
    local, remote = await _groups_named(session, note)
    if local is not None:
        return Target(ObjectKind.POST_TO_OUR_GROUP, note=note, actor=local)
    return Target(ObjectKind.REMOTE_NOTE, note=note, audience=remote)


async def _groups_named(
    session: AsyncSession, note: ParsedObject
) -> tuple[Actor | None, Actor | None]:
    """In one query: the collective of ours a public post is addressed to or mentions, and
    the remote collective it is addressed to (its audience), when it names them."""
    candidates = group_candidates(note)
    if not candidates:
        return None, None
    return pick_groups(note, await session.scalars(groups_among(candidates)))


def group_candidates(note: ParsedObject) -> list[str]:
    """The ids that may name a collective of a post: its addressing, and, when it is public,
    the actors it mentions."""
    addressed = [*note.audience, *note.to, *note.cc]
    public = any(is_public(uri) for uri in [*note.to, *note.cc])
    return [*addressed, *note.mention_uris] if public else addressed


def groups_among(uris: Iterable[str]) -> Select[Actor]:
    return select(Actor).where(Actor.uri.in_(set(uris)), Actor.type == GROUP).order_by(Actor.id)


def pick_groups(note: ParsedObject, groups: Iterable[Actor]) -> tuple[Actor | None, Actor | None]:
    """Among ``groups`` (by id, first created first), the collective of ours a public post is
    addressed to or mentions, and the remote collective it is addressed to; the groups that
    are none of its candidates are passed over."""
    addressed = [*note.audience, *note.to, *note.cc]
    public = any(is_public(uri) for uri in [*note.to, *note.cc])
    candidates = set(group_candidates(note))
    local = remote = None
    for group in groups:
        if group.uri not in candidates:
            continue
        if group.is_local and not group.is_gone and public and local is None:
            local = group
        elif not group.is_local and group.uri in addressed and remote is None:
            remote = group
    return local, remote


async def _updated(session: AsyncSession, ctx: InboxContext, fetched: Fetched) -> Target:
    data = ctx.activity.object
    if data is None:
        return nothing("no embedded object")
    if first_str(data.get("type")) in ACTOR_TYPES:
        return Target(ObjectKind.ACTOR)
    if is_event(data):
        if not same_origin(id_of(data.get("id")), ctx.sender.uri):
            return nothing("an event of another server")
        return _event_target(fetched.event)
    if is_offer(data):
        return _offer_target(ctx)
    if is_petition(data):
        return Target(ObjectKind.REMOTE_PETITION, vote=dict(data))
    if is_poll(data):
        return Target(ObjectKind.REMOTE_POLL, vote=dict(data))
    note = _parsed(ctx)
    if isinstance(note, str):
        return nothing(note)
    post = await session.scalar(select(Post).where(Post.uri == note.id))
    if post is None:
        return nothing("unknown post")
    return Target(ObjectKind.KNOWN_POST, note=note, post=post)


async def _deleted(session: AsyncSession, ctx: InboxContext) -> Target:
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


async def _announced(session: AsyncSession, ctx: InboxContext, fetched: Fetched) -> Target:
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
            uri=uri,
            post=post,
            note=found.note if found else None,
            actor=found.author if found else None,
            audience=found.audience if found else None,
            gone=fetched.gone,
        )
    if (fetched.known == "event" and obj is None) or fetched.known == "kept":
        return nothing("an event, offer or petition we already keep")
    post = await _live_post(session, ctx.activity.object_uri)
    if post is not None:
        return Target(ObjectKind.KNOWN_POST, post=post)
    if fetched.post is not None:
        found = fetched.post
        return Target(ObjectKind.REMOTE_NOTE, note=found.note, actor=found.author,
                      audience=found.audience)  # fmt: skip
    return nothing("a boosted object we cannot have")
