"""Petitions on the wire and for people: /petitions/{uuid} by content negotiation.

Servers get the ``Question`` (see :mod:`commons.petitions.wire`); people get the page. Its
``signatures`` collection gives its count, and who signed when the petition shows names; the
signatures themselves, each with its proof, are for its facilitators (the export page).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from commons.petitions.wire import build_petition
from endpoints.actors import activity_response
from endpoints.faces import html_faces, wants_activitypub
from federation.vocab import AS_NAMESPACE
from instance.runtime import instance_of
from storage.models import Actor, Petition, Signature
from storage.models.petitions import DRAFT


async def _petition(request: Request) -> tuple[Petition, Actor]:
    instance = instance_of(request)
    uri = f"{instance.uris.base}/petitions/{request.path_params['petition_uuid']}"
    async with instance.database.session() as session:
        petition = await session.scalar(
            select(Petition).where(Petition.uri == uri, Petition.is_local.is_(True))
        )
        author = await session.get(Actor, petition.actor_id) if petition is not None else None
    if petition is None or author is None or petition.deleted_at is not None:
        raise HTTPException(404)
    return petition, author


async def petition_resource(request: Request) -> Response:
    if not wants_activitypub(request):
        page: Response = await html_faces(request).petition(request)
        return page
    petition, author = await _petition(request)
    if petition.status == DRAFT:
        raise HTTPException(404)
    return activity_response(build_petition(petition, author))


async def signatures_collection(request: Request) -> Response:
    petition, _author = await _petition(request)
    if petition.status == DRAFT:
        raise HTTPException(404)
    document: dict[str, Any] = {
        "@context": AS_NAMESPACE,
        "id": f"{petition.uri}/signatures",
        "type": "OrderedCollection",
        "totalItems": petition.signature_count,
    }
    if petition.names_public:
        async with instance_of(request).database.session() as session:
            signers = await session.scalars(
                select(Signature.signer_uri)
                .where(
                    Signature.petition_id == petition.id,
                    Signature.withdrawn_at.is_(None),
                    Signature.signer_id.is_not(None),
                )
                .order_by(Signature.id)
            )
            document["orderedItems"] = list(signers)
    return activity_response(document)


routes: list[BaseRoute] = [
    Route("/petitions/{petition_uuid:uuid}", petition_resource, methods=["GET"], name="petition"),
    Route("/petitions/{petition_uuid:uuid}/signatures", signatures_collection, methods=["GET"],
          name="petition_signatures"),
]  # fmt: skip
