"""What every action on one answer (or booking) of an offer does around its service: the
viewer, the form (CSRF first), the offer and the answer from the path (404 when the answer is
not the offer's), one transaction, a refusal shown in words or a 403, and back to the offer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from commons.events.organisers import NotOrganiser
from commons.offers.queries import response_by_id
from config.errors import DomainError
from instance.runtime import instance_of
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.offers.offers import offer_at, page_url
from webui.session import Viewer, flash, require_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import OfferResponse

AnswerAction = Callable[["AsyncSession", Viewer, "OfferResponse", FormData], Awaitable[str]]
"""Does the action in the session; returns what the flash message says when it is done."""


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def act_on_answer(
    request: Request, action: AnswerAction, *, anchor: str, forbidden: str
) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form = await read_form(request)
    async with instance.database.session() as session:
        offer, _author = await offer_at(session, request)
        found = await response_by_id(session, request.path_params["response_id"])
    if found is None or found.offer_id != offer.id:
        raise HTTPException(404)
    try:
        async with instance.database.transaction() as session:
            row = await response_by_id(session, found.id)
            assert row is not None
            done = await action(session, viewer, row, form)
    except NotOrganiser:
        raise HTTPException(403, forbidden) from None
    except DomainError as error:
        flash(request, error_message(error), "error")
    else:
        flash(request, done, "success")
    return RedirectResponse(page_url(offer) + anchor, status_code=303)
