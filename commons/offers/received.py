"""Offers and requests other servers send: kept in our bourses, changed or removed only by the
server they live on, and only when attributed to the actor who sent them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.offers.booking import check_rules
from commons.offers.fields import apply_fields
from commons.offers.wire import RemoteOfferFields
from config.errors import DomainError
from federation.vocab import same_origin
from storage.models import Actor, Bookable, Offer, utcnow


@dataclass(frozen=True, slots=True)
class RemoteOffer:
    """A remote Proposal read from its document, with the actor it will be kept under."""

    read: RemoteOfferFields
    author: Actor
    document: dict[str, Any]


async def keep_remote_offer(session: AsyncSession, remote: RemoteOffer) -> Offer | str:
    """Insert or refresh the offer; a refusal reason when it is not the sender's."""
    read, author = remote.read, remote.author
    if read.attributed_to != author.uri or not same_origin(read.uri, author.uri):
        return "it is not theirs"
    offer = await session.scalar(select(Offer).where(Offer.uri == read.uri))
    if offer is not None and (offer.is_local or offer.actor_id != author.id):
        return "it is not theirs"
    if offer is None:
        offer = Offer(uri=read.uri, actor_id=author.id, is_local=False,
                      published=read.published or utcnow())  # fmt: skip
        session.add(offer)
    elif offer.deleted_at is not None:
        return "it was deleted"
    elif offer.updated is not None and read.updated is not None and read.updated < offer.updated:
        return "an older version"
    apply_fields(offer, read.fields)
    offer.url = read.url or read.uri
    offer.status = read.status
    offer.updated = read.updated
    offer.images = {"items": read.images} if read.images else None
    offer.document = dict(remote.document)
    await session.flush()
    await _keep_booking(session, offer, read.booking)
    return offer


async def _keep_booking(session: AsyncSession, offer: Offer, rules: dict[str, Any] | None) -> None:
    """The rules of a remote bookable offer, as its server describes them (dropped when it
    sends none, or none that make sense)."""
    kept = await session.get(Bookable, offer.id)
    if rules is not None:
        candidate = Bookable(offer_id=offer.id, **rules)
        try:
            check_rules(candidate)
        except DomainError:
            rules = None
    if rules is None:
        if kept is not None:
            await session.delete(kept)
        return
    if kept is None:
        session.add(Bookable(offer_id=offer.id, **rules))
    else:
        for name, value in rules.items():
            setattr(kept, name, value)
    await session.flush()


async def drop_remote_offer(session: AsyncSession, offer: Offer, sender: Actor) -> bool:
    """A Delete from the offer's own author; False (refused) for ours or anyone else."""
    if offer.is_local or offer.actor_id != sender.id:
        return False
    offer.deleted_at = offer.deleted_at or utcnow()
    offer.document = None
    return True
