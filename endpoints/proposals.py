"""Proposals on the wire and for people: /proposals/{uuid} by content negotiation.

Servers get the ``Note`` (see :mod:`commons.proposals.wire`); people get the page.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from commons.proposals.queries import card_of, proposal_by_uri
from commons.proposals.wire import build_proposal
from endpoints.actors import activity_response
from endpoints.faces import html_faces, wants_activitypub
from instance.runtime import instance_of


async def proposal_resource(request: Request) -> Response:
    if not wants_activitypub(request):
        page: Response = await html_faces(request).proposal(request)
        return page
    instance = instance_of(request)
    uri = f"{instance.uris.base}/proposals/{request.path_params['proposal_uuid']}"
    async with instance.database.session() as session:
        proposal = await proposal_by_uri(session, uri)
        card = await card_of(session, proposal) if proposal is not None else None
    if card is None or card.proposal.deleted_at is not None:
        raise HTTPException(404)
    return activity_response(build_proposal(card.proposal, card.collective, card.author))


routes: list[BaseRoute] = [
    Route("/proposals/{proposal_uuid:uuid}", proposal_resource, methods=["GET"], name="proposal"),
]
