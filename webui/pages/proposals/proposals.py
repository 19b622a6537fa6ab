"""Pages: the proposals made to this quartier's collectives, one proposal with its supports and
answer, proposing (for the collectives one belongs to), supporting or taking support back, and
a facilitator's answer. Reading goes through :mod:`commons.proposals.queries`, writing through
:mod:`commons.proposals.services`; every POST reads its form (CSRF) first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.queries import actor_by_id
from commons.events.organisers import NotOrganiser, may_organise
from commons.proposals import services
from commons.proposals.queries import (
    ProposalCard,
    card_of,
    collectives_of_member,
    listed_proposals,
    proposal_by_uri,
    supports,
)
from config.errors import DomainError
from instance.runtime import instance_of
from storage.models.proposals import ACCEPTED, EVALUATING, OPEN, REJECTED
from webui import formats, i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.render import render
from webui.session import current_viewer, flash, require_viewer
from webui.visitor_pages import kept_for_visitors

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def page_url(card: ProposalCard) -> str:
    return "/proposals/" + card.proposal.uri.rsplit("/", 1)[-1]


def status_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {OPEN: _("Waiting for an answer"), EVALUATING: _("Under study"),
            ACCEPTED: _("Accepted"), REJECTED: _("Refused")}  # fmt: skip


def proposal_view(card: ProposalCard) -> dict[str, Any]:
    proposal = card.proposal
    count = proposal.support_count
    return {
        "proposal": proposal,
        "collective": card.collective,
        "author": card.author,
        "url": page_url(card),
        "status": status_labels()[proposal.status],
        "supports": i18n.ngettext("%(num)s support", "%(num)s supports", count)
        % {"num": formats.format_count(count)},
        "is_answered": proposal.status in (ACCEPTED, REJECTED),
    }


async def card_at(session: AsyncSession, request: Request) -> ProposalCard:
    uri = f"{instance_of(request).uris.base}/proposals/{request.path_params['proposal_uuid']}"
    proposal = await proposal_by_uri(session, uri)
    card = await card_of(session, proposal) if proposal is not None else None
    if card is None or card.proposal.deleted_at is not None:
        raise HTTPException(404)
    return card


@kept_for_visitors
async def proposals_index(request: Request) -> Response:
    viewer = await current_viewer(request)
    async with instance_of(request).database.session() as session:
        cards = await listed_proposals(session)
        member_of = await collectives_of_member(session, viewer.actor) if viewer else []
    context = {"cards": [proposal_view(card) for card in cards], "may_propose": bool(member_of)}
    return render(request, "proposals/index.html", context)


async def proposal_page(request: Request) -> Response:
    """The page of one proposal (at its own address, shared with its ``Note``)."""
    viewer = await current_viewer(request)
    async with instance_of(request).database.session() as session:
        card = await card_at(session, request)
        supported = bool(viewer and await supports(session, card.proposal, viewer.actor))
        facilitator = bool(viewer and await may_organise(session, viewer.actor, card.collective))
    open_to_support = card.proposal.status in services.SUPPORTABLE
    context = {
        **proposal_view(card),
        "supported": supported,
        "may_support": bool(viewer) and open_to_support and not supported,
        "open_to_support": open_to_support,
        "is_facilitator": facilitator,
        "answer_options": [(key, label) for key, label in status_labels().items() if key != OPEN],
        "next": request.url.path,
    }
    return render(request, "proposals/proposal.html", context)


async def new_proposal(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form = await read_form(request) if request.method == "POST" else None
    async with instance.database.session() as session:
        collectives = await collectives_of_member(session, viewer.actor)
    values = {
        "collective": str(form.get("collective") or "") if form else "",
        "title": str(form.get("title") or "") if form else "",
        "text": str(form.get("text") or "") if form else "",
    }
    context: dict[str, Any] = {"collectives": collectives, "values": values, "errors": {},
                               "choices": [(g.username, g.name or g.username)
                                           for g in collectives]}  # fmt: skip
    if form is None:
        return render(request, "proposals/new.html", context)
    collective = next((g for g in collectives if g.username == values["collective"]), None)
    if collective is None:
        raise HTTPException(403, "you are no member of this collective")
    try:
        async with instance.database.transaction() as session:
            proposal = await services.propose(session, instance.uris, viewer.actor, collective,
                                              values["title"], values["text"])  # fmt: skip
            card = ProposalCard(proposal, collective, viewer.actor)
    except DomainError as error:
        context["errors"] = {error.field or "title": error_message(error)}
        return render(request, "proposals/new.html", context, 400)
    flash(request, i18n.gettext("Your proposal is published: the collective's followers receive it."),
          "success")  # fmt: skip
    return RedirectResponse(page_url(card), status_code=303)


async def _change(request: Request, action: str) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form = await read_form(request)
    _ = i18n.gettext
    async with instance.database.session() as session:
        url = page_url(await card_at(session, request))
    try:
        async with instance.database.transaction() as session:
            card = await card_at(session, request)
            person = await actor_by_id(session, viewer.actor.id)
            assert person is not None
            if action == "support":
                await services.add_support(session, card.proposal, person)
                done = _("Thank you, your support is counted.")
            elif action == "unsupport":
                await services.take_back_support(session, card.proposal, person.uri)
                done = _("Your support is taken back.")
            else:
                await services.answer_proposal(session, instance.uris, person, card.proposal,
                                               str(form.get("status") or ""),
                                               str(form.get("answer") or ""))  # fmt: skip
                done = _("The answer is published, and sent to the collective's followers.")
    except NotOrganiser:
        flash(request, _("Only the collective's facilitators may answer it."), "error")
        return RedirectResponse(url, status_code=303)
    except DomainError as error:
        flash(request, error_message(error), "error")
        return RedirectResponse(url, status_code=303)
    flash(request, done, "success")
    return RedirectResponse(url, status_code=303)


async def support(request: Request) -> Response:
    return await _change(request, "support")


async def unsupport(request: Request) -> Response:
    return await _change(request, "unsupport")


async def answer(request: Request) -> Response:
    return await _change(request, "answer")


routes: list[BaseRoute] = [
    Route("/proposals", proposals_index, methods=["GET"], name="proposals"),
    Route("/proposals/new", new_proposal, methods=["GET", "POST"], name="new_proposal"),
    Route("/proposals/{proposal_uuid:uuid}/support", support, methods=["POST"],
          name="support_proposal"),
    Route("/proposals/{proposal_uuid:uuid}/unsupport", unsupport, methods=["POST"],
          name="unsupport_proposal"),
    Route("/proposals/{proposal_uuid:uuid}/answer", answer, methods=["POST"],
          name="answer_proposal"),
]  # fmt: skip
