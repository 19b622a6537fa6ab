"""The reads the proposals' pages need: the listing with each proposal's collective and author,
one proposal, whether a resident supports it, and the collectives a resident may propose to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Actor, Membership, Proposal, ProposalSupport
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.proposals import OPEN

LISTED = 100


@dataclass(frozen=True, slots=True)
class ProposalCard:
    proposal: Proposal
    collective: Actor
    author: Actor | None


async def proposal_by_uri(session: AsyncSession, uri: str) -> Proposal | None:
    return await session.scalar(select(Proposal).where(Proposal.uri == uri))


async def card_of(session: AsyncSession, proposal: Proposal) -> ProposalCard | None:
    collective = await session.get(Actor, proposal.actor_id)
    if collective is None or collective.is_gone:
        return None
    author = await session.get(Actor, proposal.author_id) if proposal.author_id else None
    return ProposalCard(proposal, collective, author)


async def listed_proposals(session: AsyncSession, limit: int = LISTED) -> list[ProposalCard]:
    """Ours: those waiting for an answer first, the most supported first; then the answered."""
    author = aliased(Actor)
    rows = await session.execute(
        select(Proposal, Actor, author)
        .join(Actor, Actor.id == Proposal.actor_id)
        .outerjoin(author, author.id == Proposal.author_id)
        .where(Proposal.deleted_at.is_(None), Actor.is_gone.is_(False))
        .order_by(Proposal.id.desc())
        .limit(limit)
    )
    cards = [ProposalCard(proposal, group, person) for proposal, group, person in rows.all()]
    return sorted(cards, key=lambda card: (card.proposal.status != OPEN,
                                           -card.proposal.support_count))  # fmt: skip


async def supports(session: AsyncSession, proposal: Proposal, person: Actor) -> bool:
    found = await session.scalar(
        select(ProposalSupport.id).where(
            ProposalSupport.proposal_id == proposal.id,
            ProposalSupport.supporter_uri == person.uri,
        )
    )
    return found is not None


async def collectives_of_member(session: AsyncSession, person: Actor) -> list[Actor]:
    """The collectives of this server that ``person`` belongs to, whatever their role."""
    rows = await session.scalars(
        select(Actor)
        .join(Membership, Membership.group_id == Actor.id)
        .where(
            Membership.member_id == person.id,
            Membership.state == MEMBERSHIP_ACCEPTED,
            Actor.is_local.is_(True),
            Actor.is_gone.is_(False),
        )
        .order_by(Actor.username)
    )
    return list(rows)
