"""Offers on the wire and for people: /offers/{uuid} by content negotiation.

Servers get the Proposal (``["Note", "Proposal"]``, see :mod:`commons.offers.wire`), a
``Tombstone`` with 410 once deleted; people get the page. Mastodon fetches an announced
object's id with a signed GET, so every offer id answers.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from commons.offers.services import offer_document
from commons.offers.wire import build_offer_tombstone
from endpoints.actors import activity_response
from endpoints.faces import html_faces, wants_activitypub
from instance.runtime import instance_of
from storage.models import Actor, Bookable, Offer


async def offer_resource(request: Request) -> Response:
    if not wants_activitypub(request):
        return await html_faces(request).offer(request)
    instance = instance_of(request)
    uri = f"{instance.uris.base}/offers/{request.path_params['offer_uuid']}"
    async with instance.database.session() as session:
        offer = await session.scalar(
            select(Offer).where(Offer.uri == uri, Offer.is_local.is_(True))
        )
        author = await session.get(Actor, offer.actor_id) if offer is not None else None
        bookable = await session.get(Bookable, offer.id) if offer is not None else None
    if offer is None or author is None:
        raise HTTPException(404)
    if offer.deleted_at is not None or author.is_gone:
        return activity_response(build_offer_tombstone(offer), 410)
    return activity_response(offer_document(instance.uris, offer, author, bookable))


routes: list[BaseRoute] = [
    Route("/offers/{offer_uuid:uuid}", offer_resource, methods=["GET"], name="offer"),
]
