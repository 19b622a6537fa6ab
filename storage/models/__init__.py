"""Every table, one module per aggregate; importing this package registers them all."""

from storage.models.activities import Activity
from storage.models.actors import Account, Actor, ApiToken, Membership
from storage.models.backfills import Backfill
from storage.models.base import Base, utcnow
from storage.models.community import Invitation, Notification, PasswordReset
from storage.models.events import Event, EventOccurrence, Rsvp
from storage.models.follows import Follow
from storage.models.hosts import BlocklistProposal, BlocklistSubscription, DomainBlock, Host
from storage.models.look import InstanceLook
from storage.models.media import Media, PostMention, PostTag
from storage.models.offers import Bookable, Offer, OfferResponse, ReservationSlot
from storage.models.petitions import Petition, PromoterMember, Signature
from storage.models.polls import Poll, PollOption, PollVote
from storage.models.posts import Post, PostRecipient, Reaction
from storage.models.proposals import Proposal, ProposalSupport
from storage.models.queue import Delivery, InboxItem
from storage.models.reports import Report
from storage.models.sessions import LoginFailure, WebSession
from storage.models.shares import Share

__all__ = [
    "Account",
    "Activity",
    "Actor",
    "ApiToken",
    "Backfill",
    "Base",
    "BlocklistProposal",
    "BlocklistSubscription",
    "Bookable",
    "Delivery",
    "DomainBlock",
    "Event",
    "EventOccurrence",
    "Follow",
    "Host",
    "InboxItem",
    "InstanceLook",
    "Invitation",
    "LoginFailure",
    "Media",
    "Membership",
    "Notification",
    "Offer",
    "OfferResponse",
    "PasswordReset",
    "Petition",
    "Poll",
    "PollOption",
    "PollVote",
    "Post",
    "PostMention",
    "PostRecipient",
    "PostTag",
    "PromoterMember",
    "Proposal",
    "ProposalSupport",
    "Reaction",
    "Report",
    "ReservationSlot",
    "Rsvp",
    "Share",
    "Signature",
    "WebSession",
    "utcnow",
]
