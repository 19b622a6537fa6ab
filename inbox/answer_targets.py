"""What an answer names, or what it takes back: the targets of Accept, Reject, Undo, Join, Leave,
Offer and Flag, among the rows of ours."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.reports import reported_here
from commons.events.date_rsvps import split_occurrence_uri
from commons.events.dates import date_on
from commons.offers.agreement_wire import is_agreement_offer, read_agreement_offer
from commons.petitions.wire import is_vote
from config.errors import DomainError
from federation.vocab import as_list, first_str, id_of
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target, nothing
from inbox.our_rows import (
    local_actor,
    local_event,
    local_group,
    our_join,
    our_petition,
    our_proposal,
    our_response,
)
from storage.models import Actor, Event, Follow, Membership, Offer, OfferResponse, Rsvp, Signature
from storage.models.actors import GROUP
from storage.models.petitions import HERE

REACTION_TYPES = frozenset({"Like", "Announce", "EmojiReact"})


async def joined(session: AsyncSession, uri: str | None, *, groups_first: bool) -> Target:
    """What a Join, Leave or Undo{Join} names: our collective, our event, or a date of ours."""
    if groups_first and (group := await local_group(session, uri)) is not None:
        return Target(ObjectKind.OUR_GROUP, actor=group)
    event = await local_event(session, uri)
    if event is not None:
        return Target(ObjectKind.OUR_EVENT, event=event)
    named = split_occurrence_uri(uri)
    series = await local_event(session, named[0]) if named is not None else None
    if named is not None and series is not None:
        found = await date_on(session, series, named[1]) if series.rrule else None
        date = found.start if found is not None else None
        return Target(ObjectKind.OUR_DATE, event=series, date=date)
    if not groups_first and (group := await local_group(session, uri)) is not None:
        return Target(ObjectKind.OUR_GROUP, actor=group)
    return nothing(f"{uri} is none of our collectives, events or dates")


async def offered(session: AsyncSession, ctx: InboxContext) -> Target:
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


async def flagged(session: AsyncSession, ctx: InboxContext) -> Target:
    """A report: the accounts and posts of ours among the ids it names."""
    named = [
        uri for uri in (id_of(item) for item in as_list(ctx.activity.raw.get("object"))) if uri
    ]
    reported = await reported_here(session, named)
    if not reported.is_ours:
        return nothing("a report about nothing of ours")
    return Target(ObjectKind.REPORTED, named=named, reported=reported)


async def answered(session: AsyncSession, ctx: InboxContext) -> Target:
    """An Accept or Reject of a Join one of ours sent to an event, or of one of our Follows."""
    activity = ctx.activity
    obj, answered = activity.object, activity.object_uri
    answers_a_join = obj is None or "Join" in as_list(obj.get("type"))
    if answers_a_join and answered and await our_join(session, answered):
        return Target(ObjectKind.OUR_JOIN, uri=answered)
    if activity.type == "Reject" and answered:
        vote = await session.scalar(
            select(Signature).where(Signature.vote_uri == answered, Signature.way == HERE)
        )
        if vote is not None:
            return Target(ObjectKind.OUR_VOTE, signature=vote)
    answers_an_offer = obj is None or "Offer" in as_list(obj.get("type"))
    if answers_an_offer and answered and (response := await our_response(session, answered)):
        return Target(ObjectKind.OUR_RESPONSE, response=response)
    follow = None
    if answered:
        follow = await session.scalar(
            select(Follow).where(Follow.uri == answered, Follow.followed_id == ctx.sender.id)
        )
    embedded_types = as_list(obj.get("type")) if obj is not None else []
    if follow is None and obj is not None and (not embedded_types or "Follow" in embedded_types):
        # A Follow answered under an id we do not know (some servers answer with their own):
        # known by its follower, ours, and the sender it followed
        follower = await local_actor(session, id_of(obj.get("actor")))
        if follower is not None:
            follow = await session.scalar(
                select(Follow).where(
                    Follow.follower_id == follower.id, Follow.followed_id == ctx.sender.id
                )
            )
    if follow is None:
        return nothing("no Join or Follow of ours is answered")
    return Target(ObjectKind.OUR_FOLLOW, follow=follow)


async def undone(session: AsyncSession, ctx: InboxContext) -> Target:
    inner = ctx.activity.object
    claimed = id_of(inner.get("actor")) if inner is not None else None
    if claimed is not None and claimed != ctx.sender.uri:
        # Only what one did oneself is taken back: not even the sender's own Follow of the
        # same account, when the Follow they name is someone else's
        return nothing(f"an Undo of an activity of {claimed}")
    inner_type = first_str(inner.get("type")) if inner is not None else None
    if inner_type == "Follow":
        return Target(ObjectKind.FOLLOW, uri=id_of((inner or {}).get("object")))
    if inner_type == "Join":
        return await joined(session, id_of((inner or {}).get("object")), groups_first=False)
    if inner_type == "Like" and isinstance(inner, dict):
        proposal = await our_proposal(session, id_of(inner.get("object")))
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
        return Target(ObjectKind.ANSWER_TO_OUR_OFFER, response=response)
    if inner_type == "Create" and isinstance(inner, dict):
        voted = inner.get("object")
        if isinstance(voted, dict) and is_vote(voted):
            petition = await our_petition(session, voted)
            if petition is not None:
                return Target(ObjectKind.VOTE_ON_OUR_PETITION, petition=petition, vote=inner)
        return nothing("an Undo of a Create that is no vote of ours")
    if inner_type is None:
        return await _join_of_the_sender(session, ctx) or Target(ObjectKind.REFERENCE)
    return nothing(f"an Undo of {inner_type}")


async def _join_of_the_sender(session: AsyncSession, ctx: InboxContext) -> Target | None:
    """The sender's Join an Undo names by its id alone, as we keep it: its participation in one
    of our events (or in one of its dates), or its membership of one of our collectives."""
    uri = ctx.activity.object_uri
    if not uri:
        return None
    taking_part = await session.execute(
        select(Event, Rsvp.occurrence)
        .join(Rsvp, Rsvp.event_id == Event.id)
        .where(Rsvp.uri == uri, Rsvp.actor_id == ctx.sender.id, Event.is_local.is_(True),
               Event.deleted_at.is_(None))
    )  # fmt: skip
    if (row := taking_part.first()) is not None:
        event, occurrence = row
        kind = ObjectKind.OUR_EVENT if occurrence is None else ObjectKind.OUR_DATE
        return Target(kind, event=event, date=occurrence)
    group = await session.scalar(
        select(Actor)
        .join(Membership, Membership.group_id == Actor.id)
        .where(Membership.uri == uri, Membership.member_id == ctx.sender.id,
               Actor.is_local.is_(True), Actor.type == GROUP, Actor.is_gone.is_(False))
    )  # fmt: skip
    return Target(ObjectKind.OUR_GROUP, actor=group) if group is not None else None
