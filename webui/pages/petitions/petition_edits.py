"""Pages: drafting a petition for a collective with its promoter committee, changing the draft,
and a promoter's confirmation (the last one opens it). Who may do what is
:mod:`commons.petitions.services`'; every POST reads its form through ``read_form`` (CSRF) first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from commons.events.organisers import NotOrganiser, may_organise, organisers_for
from commons.petitions import services as petitions
from commons.petitions.queries import promoter_choices
from config.errors import DomainError, ErrorCode
from instance.runtime import instance_of
from storage.models.petitions import DRAFT
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.petitions.petition_forms import (
    PetitionForm,
    blank_values,
    check_form,
    may_sign_labels,
    read_petition_form,
    values_of,
)
from webui.pages.petitions.petitions import page_url, petition_at
from webui.render import render
from webui.session import Viewer, flash, require_viewer

if TYPE_CHECKING:
    from storage.models import Actor, Petition


def _form_context(
    form: PetitionForm, collective: Actor | None, members: list[Actor]
) -> dict[str, Any]:
    return {
        "values": form.values,
        "errors": form.errors,
        "collective": collective,
        "members": members,
        "chosen_promoters": form.promoter_ids,
        "may_sign_options": may_sign_labels(),
    }


def pick_collective(collectives: list[Actor], username: str) -> Actor | None:
    """The collective named ``username`` among ``collectives``; the only one when none is named."""
    if not username and len(collectives) == 1:
        return collectives[0]
    return next((group for group in collectives if group.username == username), None)


async def new_petition(request: Request) -> Response:
    """Step one (when the resident facilitates several collectives): for which one; step two:
    the petition, with the committee chosen among that collective's members."""
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form_data = await read_form(request) if request.method == "POST" else None
    wanted = (
        str(form_data.get("collective") or "")
        if form_data is not None
        else request.query_params.get("collective", "")
    )
    async with instance.database.session() as session:
        collectives = (await organisers_for(session, viewer.actor))[1:]
        collective = pick_collective(collectives, wanted)
        members = await promoter_choices(session, collective) if collective else []
    members = [member for member in members if member.id != viewer.actor.id]
    if collective is None:
        if form_data is not None:
            raise HTTPException(403, "you do not act for this collective")
        return render(request, "petitions/new.html", {"collectives": collectives,
                                                      "collective": None})  # fmt: skip
    if form_data is None:
        form = PetitionForm(blank_values(collective.username))
        context = {"collectives": collectives, **_form_context(form, collective, members)}
        return render(request, "petitions/new.html", context)
    form = read_petition_form(form_data)
    check_form(form, instance.settings.server.domain)
    promoters = [member for member in members if member.id in form.promoter_ids]
    if len(promoters) + 1 < petitions.MIN_PROMOTERS:
        form.refuse(ErrorCode.TOO_FEW_PROMOTERS, "promoters")
    petition: Petition | None = None
    if not form.errors and form.fields is not None:
        try:
            async with instance.database.transaction() as session:
                petition = await petitions.draft_petition(
                    session, instance.uris, viewer.actor, collective, form.fields, promoters
                )
        except NotOrganiser:
            raise HTTPException(403, "you do not act for this collective") from None
        except DomainError as error:
            form.refuse(error)
            petition = None
    if petition is None:
        context = {"collectives": collectives, **_form_context(form, collective, members)}
        return render(request, "petitions/new.html", context, 400)
    flash(request, i18n.gettext("The draft is saved. The other members of its committee are "
                                "asked to confirm it; it opens once they all have."),
          "success")  # fmt: skip
    return RedirectResponse(page_url(petition), status_code=303)


async def _draft_for(request: Request, viewer: Viewer) -> tuple[Petition, Actor]:
    async with instance_of(request).database.session() as session:
        petition, collective = await petition_at(session, request)
        if not petition.is_local or not await may_organise(session, viewer.actor, collective):
            raise HTTPException(403, "only the collective's facilitators")
    return petition, collective


async def edit_petition(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form_data = await read_form(request) if request.method == "POST" else None
    petition, collective = await _draft_for(request, viewer)
    if petition.status != DRAFT:
        flash(request, i18n.gettext("It is open: its text can no longer be changed."), "error")
        return RedirectResponse(page_url(petition), status_code=303)
    context: dict[str, Any] = {"petition": petition, "page_url": page_url(petition)}
    if form_data is None:
        form = PetitionForm(values_of(petition, collective.username))
        context.update(_form_context(form, collective, []))
        return render(request, "petitions/edit.html", context)
    form = read_petition_form(form_data)
    form.values["collective"] = collective.username
    check_form(form, instance.settings.server.domain)
    saved = False
    if not form.errors and form.fields is not None:
        try:
            async with instance.database.transaction() as session:
                row, _collective = await petition_at(session, request)
                await petitions.edit_draft(session, instance.uris, viewer.actor, row, form.fields)
                saved = True
        except NotOrganiser:
            raise HTTPException(403, "only the collective's facilitators") from None
        except DomainError as error:
            form.refuse(error)
    if not saved:
        context.update(_form_context(form, collective, []))
        return render(request, "petitions/edit.html", context, 400)
    flash(request, i18n.gettext("The draft is saved. The other members of its committee are "
                                "asked to confirm it again."), "success")  # fmt: skip
    return RedirectResponse(page_url(petition), status_code=303)


async def confirm_petition(request: Request) -> Response:
    """A member of the promoter committee confirms the draft; the last one opens it."""
    viewer = await require_viewer(request)
    instance = instance_of(request)
    await read_form(request)
    _ = i18n.gettext
    try:
        async with instance.database.transaction() as session:
            petition, _collective = await petition_at(session, request)
            url = page_url(petition)
            opened = await petitions.confirm(session, instance.uris, viewer.actor, petition)
    except DomainError as error:
        flash(request, error_message(error), "error")
        return RedirectResponse(request.url.path.removesuffix("/confirm"), status_code=303)
    if opened:
        flash(request, _("Thank you. Every promoter has confirmed: the petition is open and "
                         "collects signatures from now on."), "success")  # fmt: skip
    else:
        flash(request, _("Thank you, your confirmation is noted. The petition opens once every "
                         "member of its committee has confirmed it."), "success")  # fmt: skip
    return RedirectResponse(url, status_code=303)


routes: list[BaseRoute] = [
    Route("/petitions/new", new_petition, methods=["GET", "POST"], name="new_petition"),
    Route("/petitions/{petition_uuid:uuid}/edit", edit_petition, methods=["GET", "POST"],
          name="edit_petition"),
    Route("/petitions/{petition_uuid:uuid}/confirm", confirm_petition, methods=["POST"],
          name="confirm_petition"),
]  # fmt: skip
