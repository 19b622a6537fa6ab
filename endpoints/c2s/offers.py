"""Offers and requests from a client: ``Create``/``Update``/``Delete`` of a ``Proposal``
(FEP-0837; ``["Note", "Proposal"]`` as we send it), an answer to any offer this server knows
(``Offer{Agreement}``; a booking's Commitment has ``hasBeginning`` and ``hasEnd``), and the
author's ``Accept``/``Reject`` of an answer — each through the
services the offer pages use (:mod:`commons.offers`), with the same checks and messages.

A Proposal is read with the reader of other servers' Proposals; an ``Update`` merges the
properties sent into the offer as we serve it (``null`` removes one) and reads it again, and
``offerStatus`` ``closed`` or ``open`` marks it done or reopens it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.offers import responses
from commons.offers.agreement_wire import read_agreement_offer
from commons.offers.fields import OfferFields
from commons.offers.queries import offer_by_uri
from commons.offers.services import delete_offer, edit_offer, offer_document, publish_offer
from commons.offers.services import set_status as set_offer_status
from commons.offers.wire import parse_remote_offer
from config.errors import DomainError
from endpoints.c2s.errors import ClientError
from endpoints.c2s.objects import merged_properties
from endpoints.c2s.posts import newest_activity_uri
from federation.vocab import first_str, id_of, types_of
from instance.runtime import Instance
from storage.models import Actor, Offer, OfferResponse
from storage.models.offers import CLOSED, OPEN

PLACEHOLDER_ID = "https://client.invalid/offer"


def is_proposal(obj: dict[str, Any]) -> bool:
    return "Proposal" in types_of(obj.get("type"))


def _fields(document: dict[str, Any], acting: Actor) -> OfferFields:
    sent = {**document, "id": PLACEHOLDER_ID, "attributedTo": acting.uri}
    try:
        return parse_remote_offer(sent).fields
    except DomainError as error:
        raise ClientError.refusing(error) from None


async def create_offer_from(
    instance: Instance, person: Actor, acting: Actor, obj: dict[str, Any]
) -> str:
    fields = _fields(obj, acting)
    async with instance.database.transaction() as session:
        try:
            offer = await publish_offer(session, instance.uris, person, acting, fields)
        except DomainError as error:
            raise ClientError.refusing(error) from None
        return await newest_activity_uri(session, acting, "Create", offer.uri)


async def update_offer(
    instance: Instance, person: Actor, acting: Actor, session: AsyncSession, offer: Offer,
    obj: dict[str, Any],
) -> str:  # fmt: skip
    if offer.actor_id != acting.id:
        raise ClientError(403, "only who publishes an offer may change it, from its outbox")
    current = offer_document(instance.uris, offer, acting)
    if not any(key in obj for key in ("content", "contentMap", "source")):
        obj = {**obj, "source": current["source"]}
    current.pop("content", None)
    current.pop("contentMap", None)
    status = first_str(obj.get("offerStatus"))
    try:
        await edit_offer(
            session, instance.uris, person, offer, _fields(merged_properties(current, obj), acting)
        )
        if status in (OPEN, CLOSED):
            await set_offer_status(session, instance.uris, person, offer, status)
    except DomainError as error:
        raise ClientError.refusing(error) from None
    return await newest_activity_uri(session, acting, "Update", offer.uri)


async def delete_own_offer(
    instance: Instance, person: Actor, acting: Actor, session: AsyncSession, offer: Offer
) -> str:
    if offer.actor_id != acting.id:
        raise ClientError(403, "only who publishes an offer may delete it, from its outbox")
    try:
        await delete_offer(session, instance.uris, person, offer)
    except DomainError as error:
        raise ClientError.refusing(error) from None
    return await newest_activity_uri(session, acting, "Delete", offer.uri)


async def answer_offer(instance: Instance, acting: Actor, activity: dict[str, Any]) -> str:
    """``Offer{Agreement}``: the Commitment's ``satisfies`` names the offer's Intent."""
    try:
        proposed = read_agreement_offer({**activity, "id": "https://client.invalid/answer"})
    except DomainError as error:
        raise ClientError.refusing(error) from None
    async with instance.database.transaction() as session:
        offer = await offer_by_uri(session, proposed.satisfies.split("#", 1)[0])
        if offer is None:
            raise ClientError(404, f"no offer known here at {proposed.satisfies}")
        try:
            response = await responses.respond(
                session, instance.uris, acting, offer, quantity=proposed.quantity,
                message=proposed.message, starts_at=proposed.starts_at, ends_at=proposed.ends_at,
            )  # fmt: skip
        except DomainError as error:
            raise ClientError.refusing(error) from None
        return response.uri


async def reply_to_answer(
    instance: Instance, person: Actor, kind: str, activity: dict[str, Any]
) -> str:
    """``Accept``/``Reject`` of an answer to one's offer (``object``: the answer's id)."""
    uri = id_of(activity.get("object"))
    async with instance.database.transaction() as session:
        response = await session.scalar(select(OfferResponse).where(OfferResponse.uri == uri))
        if response is None:
            raise ClientError(404, f"no answer to your offers at {uri}")
        reason = first_str(activity.get("content")) or ""
        try:
            await responses.answer(session, instance.uris, person, response,
                                   accept=kind == "Accept", reason=reason)  # fmt: skip
        except DomainError as error:
            raise ClientError.refusing(error) from None
        offer = await session.get(Offer, response.offer_id)
        responder = await session.get(Actor, response.responder_id)
        author = await session.get(Actor, offer.actor_id) if offer is not None else None
        if (
            author is not None
            and responder is not None
            and not responder.is_local
            and (response.post_id is None)
        ):
            return await newest_activity_uri(session, author, kind, response.uri)
        return response.uri
