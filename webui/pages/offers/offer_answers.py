"""Pages: answering an offer or a request (any resident, for ours and other servers' alike) and
its author's reply, accept or decline with a reason (whoever may publish for the author).
The rules are :mod:`commons.offers.responses`'; every POST reads its form (CSRF) first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from commons.events.organisers import NotOrganiser
from commons.offers import responses
from commons.offers.messages import send_message
from commons.offers.queries import offer_by_id
from commons.posts.queries import post_by_id
from config.errors import DomainError, ErrorCode, Invalid
from instance.runtime import instance_of
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.offers.answer_actions import act_on_answer, form_text
from webui.pages.offers.offer_forms import read_number
from webui.pages.offers.offers import offer_at, page_url
from webui.session import Viewer, flash, require_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from starlette.datastructures import FormData

    from storage.models import OfferResponse


async def respond(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form = await read_form(request)
    raw_quantity = form.get("quantity")
    raw_message = form.get("message")
    quantity_text = raw_quantity.strip() if isinstance(raw_quantity, str) else ""
    message = raw_message if isinstance(raw_message, str) else ""
    async with instance.database.session() as session:
        offer, _author = await offer_at(session, request)
    quantity = read_number(quantity_text) if quantity_text else None
    try:
        if quantity_text and quantity is None:
            raise Invalid(ErrorCode.BAD_QUANTITY, "quantity")
        async with instance.database.transaction() as session:
            row = await offer_by_id(session, offer.id)
            assert row is not None
            await responses.respond(session, instance.uris, viewer.actor, row, quantity=quantity,
                                    message=message)  # fmt: skip
    except DomainError as error:
        flash(request, error_message(error), "error")
        return RedirectResponse(page_url(offer) + "#answer", status_code=303)
    flash(request, i18n.gettext("Your answer is sent; you will be told of the reply."), "success")
    return RedirectResponse(page_url(offer), status_code=303)


async def reply(request: Request) -> Response:
    """Accept or decline one answer (``decision`` = accept | decline, with a ``reason``)."""
    instance = instance_of(request)

    async def decide(session: AsyncSession, viewer: Viewer, row: OfferResponse,
                     form: FormData) -> str:  # fmt: skip
        accept = form.get("decision") == "accept"
        await responses.answer(session, instance.uris, viewer.actor, row, accept=accept,
                               reason=form_text(form, "reason"))  # fmt: skip
        _ = i18n.gettext
        return _("Accepted; they are told.") if accept else _("Declined; they are told.")

    return await act_on_answer(request, decide, anchor="#answers",
                               forbidden="only who publishes it")  # fmt: skip


async def take_as_answer(request: Request) -> Response:
    """The author takes a public reply (from Mastodon, say) as an answer to accept or decline."""
    viewer = await require_viewer(request)
    instance = instance_of(request)
    await read_form(request)
    async with instance.database.session() as session:
        offer, _author = await offer_at(session, request)
    try:
        async with instance.database.transaction() as session:
            row = await offer_by_id(session, offer.id)
            post = await post_by_id(session, request.path_params["post_id"])
            if row is None or post is None:
                raise HTTPException(404)
            await responses.take_reply_as_answer(session, instance.uris, viewer.actor, row, post)
    except NotOrganiser:
        raise HTTPException(403, "only who publishes it") from None
    except DomainError as error:
        flash(request, error_message(error), "error")
        return RedirectResponse(page_url(offer) + "#comments", status_code=303)
    flash(request, i18n.gettext("It is among the answers, to accept or decline."), "success")
    return RedirectResponse(page_url(offer) + "#answers", status_code=303)


async def message(request: Request) -> Response:
    """A message to the other side of an answer (the responder, or the offer's author)."""
    instance = instance_of(request)

    async def send(session: AsyncSession, viewer: Viewer, row: OfferResponse,
                   form: FormData) -> str:  # fmt: skip
        await send_message(session, instance.uris, viewer.actor, row,
                                     form_text(form, "message"))  # fmt: skip
        return i18n.gettext("Your message is sent; only they see it.")

    anchor = f"#thread-{request.path_params['response_id']}"
    return await act_on_answer(request, send, anchor=anchor,
                               forbidden="only the two sides of an answer")  # fmt: skip


routes: list[BaseRoute] = [
    Route("/offers/{offer_uuid:uuid}/responses/{response_id:int}/messages", message,
          methods=["POST"], name="offer_answer_message"),
    Route("/offers/remote/{offer_id:int}/responses/{response_id:int}/messages", message,
          methods=["POST"], name="remote_offer_answer_message"),
    Route("/offers/{offer_uuid:uuid}/comments/{post_id:int}/answer", take_as_answer,
          methods=["POST"], name="take_offer_comment"),
    Route("/offers/{offer_uuid:uuid}/respond", respond, methods=["POST"], name="respond_offer"),
    Route("/offers/remote/{offer_id:int}/respond", respond, methods=["POST"],
          name="respond_remote_offer"),
    Route("/offers/{offer_uuid:uuid}/responses/{response_id:int}", reply, methods=["POST"],
          name="reply_offer_response"),
]  # fmt: skip
