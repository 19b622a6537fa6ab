"""Pages: a facilitator of the petition's collective records that it was handed over to its
addressee, then publishes the answer it received (and may correct it). Every POST reads its
form (CSRF) first; an answer refused keeps what was typed, on the petition's page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from commons.petitions.answers import mark_submitted, publish_answer
from config.errors import DomainError
from instance.runtime import instance_of
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.petitions.petitions import page_url, petition_at, petition_context
from webui.render import render
from webui.session import flash, require_viewer


async def hand_over(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    await read_form(request)
    try:
        async with instance.database.transaction() as session:
            petition, _collective = await petition_at(session, request)
            url = page_url(petition)
            await mark_submitted(session, instance.uris, viewer.actor, petition)
    except DomainError as error:
        flash(request, error_message(error), "error")
        return RedirectResponse(request.url.path.removesuffix("/submitted"), status_code=303)
    flash(request, i18n.gettext("The petition is marked as handed over; its followers and its "
                                "signers are told."), "success")  # fmt: skip
    return RedirectResponse(url + "#answer", status_code=303)


async def answer(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form = await read_form(request)
    text = str(form.get("answer", ""))
    try:
        async with instance.database.transaction() as session:
            petition, _collective = await petition_at(session, request)
            url = page_url(petition)
            await publish_answer(session, instance.uris, viewer.actor, petition, text)
    except DomainError as error:
        if error.field != "answer":
            flash(request, error_message(error), "error")
            return RedirectResponse(request.url.path.removesuffix("/answer"), status_code=303)
        async with instance.database.session() as session:
            petition, collective = await petition_at(session, request)
            context = await petition_context(session, request, petition, collective)
        context.update(answer_value=text, answer_error=error_message(error))
        return render(request, "petitions/petition.html", context, status_code=400)
    flash(request, i18n.gettext("The answer is published; its followers and its signers can "
                                "read it."), "success")  # fmt: skip
    return RedirectResponse(url + "#answer", status_code=303)


routes: list[BaseRoute] = [
    Route("/petitions/{petition_uuid:uuid}/submitted", hand_over, methods=["POST"],
          name="hand_over_petition"),
    Route("/petitions/{petition_uuid:uuid}/answer", answer, methods=["POST"],
          name="answer_petition"),
]  # fmt: skip
