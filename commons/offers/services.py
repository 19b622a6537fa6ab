"""Publishing, changing, closing, reopening and deleting offers and requests: the services the
web UI, the client-to-server API and the demo share.

A resident publishes for themself; a collective through its admins and facilitators (the rule
of :mod:`commons.events.organisers`). Every change reaches the publisher's followers as
``Create``/``Update``/``Delete`` of the Proposal, written in the same transaction as the row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.organisers import NotOrganiser, may_organise
from commons.media import media_path
from commons.offers.fields import MAX_IMAGES, OfferFields, apply_fields, check_fields
from commons.offers.vocabulary import OFFER_CONTEXT
from commons.offers.wire import build_offer, build_offer_tombstone
from commons.posts.hashtags import tag_path
from commons.shares.services import offer_local_publication
from config.errors import ErrorCode, Gone, Invalid
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Bookable, Media, Offer, utcnow
from storage.models.offers import CLOSED, OPEN


def new_offer_uri(uris: Uris) -> str:
    return f"{uris.base}/offers/{uuid.uuid4()}"


def offer_document(
    uris: Uris, offer: Offer, author: Actor, bookable: Bookable | None = None
) -> dict[str, Any]:
    return build_offer(offer, author, uris.base + tag_path(offer.kind), bookable)


async def send_offer(
    session: AsyncSession, uris: Uris, author: Actor, offer: Offer, kind: str
) -> dict[str, Any]:
    """``Create``/``Update`` (the Proposal) or ``Delete`` (a Tombstone) to the followers."""
    if kind == "Delete":
        obj = build_offer_tombstone(offer)
    else:
        obj = offer_document(uris, offer, author, await session.get(Bookable, offer.id))
    cc = [author.followers_uri] if author.followers_uri else []
    activity = build_activity(uris, kind, author, obj, [PUBLIC], cc)
    if kind != "Delete":
        activity["@context"] = [*activity["@context"], OFFER_CONTEXT]
    await enqueue_activity(session, author, activity)
    return activity


def images_of(uris: Uris, images: Sequence[Media]) -> dict[str, Any] | None:
    if len(images) > MAX_IMAGES:
        raise Invalid(ErrorCode.TOO_MANY_IMAGES, "images", count=MAX_IMAGES)
    items = [{"url": uris.base + media_path(image), "alt": image.alt_text,
              "media_type": image.content_type} for image in images]  # fmt: skip
    return {"items": items} if items else None


async def require_publisher(session: AsyncSession, person: Actor, offer: Offer) -> Actor:
    author = await session.get(Actor, offer.actor_id)
    if author is None or not offer.is_local or not await may_organise(session, person, author):
        raise NotOrganiser()
    if offer.deleted_at is not None:
        raise Gone(ErrorCode.NOT_AN_OFFER)
    return author


async def publish_offer(
    session: AsyncSession,
    uris: Uris,
    person: Actor,
    author: Actor,
    fields: OfferFields,
    *,
    images: Sequence[Media] = (),
) -> Offer:
    """Write a new offer or request of ``author`` (``person`` may act for it) and send it."""
    if not await may_organise(session, person, author):
        raise NotOrganiser()
    checked = check_fields(fields)
    uri = new_offer_uri(uris)
    offer = Offer(
        uri=uri,
        url=uri,
        actor_id=author.id,
        created_by_id=person.id,
        is_local=True,
        status=OPEN,
        published=utcnow(),
        images=images_of(uris, images),
    )
    apply_fields(offer, checked)
    session.add(offer)
    await session.flush()
    await send_offer(session, uris, author, offer, "Create")
    await offer_local_publication(session, uris, author, offer.uri)
    return offer


async def edit_offer(
    session: AsyncSession,
    uris: Uris,
    person: Actor,
    offer: Offer,
    fields: OfferFields,
    *,
    images: Sequence[Media] | None = None,
) -> Offer:
    """Change it (``images`` None keeps the pictures it has) and send ``Update``."""
    author = await require_publisher(session, person, offer)
    apply_fields(offer, check_fields(fields))
    if images is not None:
        offer.images = images_of(uris, images)
    offer.updated = utcnow()
    await send_offer(session, uris, author, offer, "Update")
    return offer


async def set_status(
    session: AsyncSession, uris: Uris, person: Actor, offer: Offer, status: str
) -> Offer:
    """Close it ("pourvu") or reopen it; nothing is sent when it already is so."""
    author = await require_publisher(session, person, offer)
    if offer.status == status:
        return offer
    offer.status = CLOSED if status == CLOSED else OPEN
    offer.updated = utcnow()
    await send_offer(session, uris, author, offer, "Update")
    return offer


async def delete_offer(session: AsyncSession, uris: Uris, person: Actor, offer: Offer) -> Offer:
    """Remove it for good: the row stays as a tombstone and the followers receive ``Delete``."""
    author = await require_publisher(session, person, offer)
    offer.deleted_at = utcnow()
    await send_offer(session, uris, author, offer, "Delete")
    return offer
