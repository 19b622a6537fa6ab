"""The rows of ours an id in a received activity names: our residents, collectives, events,
offers, posts, and what our residents sent (their Joins, their answers to offers), each read
as the inbox may act on it (local, not deleted, not gone)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.vocab import id_of
from storage.models import Actor, Event, Offer, OfferResponse, Petition, Poll, Post, Proposal, Rsvp
from storage.models.actors import GROUP


async def local_actor(session: AsyncSession, uri: str | None) -> Actor | None:
    if not uri:
        return None
    return await session.scalar(select(Actor).where(Actor.uri == uri, Actor.is_local.is_(True)))


async def local_group(session: AsyncSession, uri: str | None) -> Actor | None:
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


async def local_event(session: AsyncSession, uri: str | None) -> Event | None:
    if not uri:
        return None
    return await session.scalar(
        select(Event).where(Event.uri == uri, Event.is_local.is_(True), Event.deleted_at.is_(None))
    )


async def local_offer(session: AsyncSession, uri: str) -> Offer | None:
    return await session.scalar(
        select(Offer).where(Offer.uri == uri, Offer.is_local.is_(True), Offer.deleted_at.is_(None))
    )


async def live_post(session: AsyncSession, uri: str | None) -> Post | None:
    if not uri:
        return None
    return await session.scalar(select(Post).where(Post.uri == uri, Post.deleted_at.is_(None)))


async def our_response(session: AsyncSession, uri: str) -> OfferResponse | None:
    """An answer one of our residents sent to another server's offer."""
    return await session.scalar(
        select(OfferResponse)
        .join(Actor, Actor.id == OfferResponse.responder_id)
        .where(OfferResponse.uri == uri, Actor.is_local.is_(True))
    )


async def our_petition(session: AsyncSession, vote: dict[str, Any]) -> Petition | None:
    """The petition of ours a vote answers."""
    replied = id_of(vote.get("inReplyTo"))
    if not replied or "/petitions/" not in replied:
        return None
    return await session.scalar(
        select(Petition).where(Petition.uri == replied, Petition.is_local.is_(True))
    )


async def our_poll(session: AsyncSession, vote: dict[str, Any]) -> Poll | None:
    """The poll of ours a vote answers."""
    replied = id_of(vote.get("inReplyTo"))
    if not replied or "/polls/" not in replied:
        return None
    return await session.scalar(select(Poll).where(Poll.uri == replied, Poll.is_local.is_(True)))


async def our_proposal(session: AsyncSession, uri: str | None) -> Proposal | None:
    if not uri or "/proposals/" not in uri:
        return None
    return await session.scalar(
        select(Proposal).where(Proposal.uri == uri, Proposal.is_local.is_(True))
    )


async def our_join(session: AsyncSession, uri: str) -> bool:
    return await session.scalar(select(Rsvp.id).where(Rsvp.uri == uri)) is not None
