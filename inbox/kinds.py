"""What a received activity is about, to us: the object kinds the dispatch table is keyed by."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from actors.reports import Reported
from commons.events.received import RemoteEvent
from commons.offers.agreement_wire import ProposedAgreement
from commons.offers.received import RemoteOffer
from federation.parsing import ParsedObject
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
    Signature,
)


class ObjectKind(StrEnum):
    OUR_ACTOR = "our actor"  # a resident, a collective or the instance, as followed
    OUR_GROUP = "our group"  # one of our collectives, as joined or left
    OUR_EVENT = "our event"
    OUR_DATE = "our date"  # one date of one of our series
    OUR_FOLLOW = "our follow"  # a Follow one of ours sent, as accepted or rejected
    OUR_JOIN = "our join"  # a Join one of ours sent to an event, as accepted or rejected
    REPLY_TO_OUR_EVENT = "a reply to our event"  # a comment
    POST_TO_OUR_GROUP = "a post to our group"
    REMOTE_NOTE = "a remote note"  # any post type of another server
    REMOTE_EVENT = "a remote event"
    KNOWN_POST = "a known post"
    KNOWN_EVENT = "a known event"
    REMOTE_OFFER = "a remote offer"  # an offer or request of the bourses (FEP-0837 Proposal)
    KNOWN_OFFER = "a known offer"
    OUR_OFFER = "our offer"  # as answered by an Offer{Agreement}
    REPLY_TO_OUR_OFFER = "a reply to our offer"  # a comment, or an answer when direct
    ANSWER_TO_OUR_OFFER = "an answer to our offer"  # a booking, as undone by who made it
    OUR_RESPONSE = "our response"  # an Offer{Agreement} one of ours sent, as accepted or rejected
    VOTE_ON_OUR_PETITION = "a vote on our petition"  # a signature, or its Undo
    REMOTE_PETITION = "a remote petition"  # a Question with our petition terms
    KNOWN_PETITION = "a known petition"  # as deleted
    OUR_VOTE = "our vote"  # a signature one of ours sent, as refused
    VOTE_IN_OUR_POLL = "a vote in our poll"  # one answer chosen
    REMOTE_POLL = "a remote poll"  # a Question with our poll terms
    KNOWN_POLL = "a known poll"  # as deleted
    OUR_PROPOSAL = "our proposal"  # as liked (a support), or the Like undone
    ACTOR = "an actor"  # a profile, as updated
    THE_SENDER = "the sender"  # an account, as deleted by itself
    FOLLOW = "a follow"  # as undone
    REACTION = "a reaction"  # a Like, a boost or an emoji, as undone
    REFERENCE = "a bare id"  # an Undo naming only the id of what it undoes
    REDISTRIBUTED = "a redistributed activity"  # Announce{Create|Update|Delete} (FEP-1b12)
    REPORTED = "something of ours, reported"  # an account or posts of ours, in a Flag
    NOTHING = "nothing we know"


@dataclass(slots=True)
class Target:
    """The object of an activity, resolved once: its kind and the rows or documents it names.

    ``reason`` says why an activity resolved to nothing is ignored.
    """

    kind: ObjectKind
    reason: str | None = None
    note: ParsedObject | None = None
    post: Post | None = None
    event: Event | None = None
    date: datetime | None = None
    actor: Actor | None = None  # our actor or group; a fetched post's author
    audience: Actor | None = None  # the collective a post belongs to
    follow: Follow | None = None
    remote_event: RemoteEvent | None = None
    remote_offer: RemoteOffer | None = None
    offer: Offer | None = None
    proposed: ProposedAgreement | None = None  # an Offer{Agreement}, read
    response: OfferResponse | None = None
    petition: Petition | None = None
    signature: Signature | None = None
    poll: Poll | None = None
    proposal: Proposal | None = None
    vote: dict[str, Any] | None = None  # the Create{Note} of a vote (inside an Undo too)
    uri: str | None = None  # the id an Undo of a Follow or an answer to our Join names
    refresh: bool = False  # a fetched post replaces the stored one
    gone: bool = False  # the fetched object answered 404 or 410
    named: list[str] = field(default_factory=list)  # every id a Flag names
    reported: Reported | None = None  # what of it is ours


def nothing(reason: str) -> Target:
    return Target(ObjectKind.NOTHING, reason=reason)
