"""Page: the collective's facilitators type in the signatures collected on paper, one line of a
sheet at a time (:mod:`commons.petitions.paper` keeps them, refuses the same person twice and
names the residents who may have signed online as well). The sheet's number and day stay filled
in for the next line."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from commons.events.organisers import NotOrganiser, may_organise
from commons.petitions.paper import (
    GENEVA,
    AlreadyCounted,
    PaperEntry,
    add_paper_signature,
    anonymous_id,
)
from commons.petitions.queries import paper_count, recent_paper_signatures
from config.errors import DomainError, ErrorCode
from instance.runtime import instance_of
from storage.models import utcnow
from webui import formats, i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.form_dates import read_day
from webui.pages.petitions.petitions import page_url, petition_at
from webui.render import render
from webui.session import Viewer, flash, require_viewer

if TYPE_CHECKING:
    from storage.models import Actor, Petition

FIELDS = ("name", "address", "signed_on", "sheet")


async def facilitated(request: Request, viewer: Viewer) -> tuple[Petition, Actor]:
    """Our petition and its collective, when ``viewer`` facilitates it (403 otherwise)."""
    async with instance_of(request).database.session() as session:
        petition, collective = await petition_at(session, request)
        if not petition.is_local or not await may_organise(session, viewer.actor, collective):
            raise HTTPException(403, "only the collective's facilitators")
    return petition, collective


def _refusal_words(error: DomainError) -> str:
    _ = i18n.gettext
    if isinstance(error, AlreadyCounted):
        return _("This person is already counted: the same name at the same address is on a "
                 "sheet already.")  # fmt: skip
    if error.field == "signed_on" and error.code == ErrorCode.INVALID:
        first, last = error.details.get("first"), error.details.get("last")
        if isinstance(first, date) and isinstance(last, date):
            return _("Give the day written on the sheet, from %(first)s to %(last)s.") % {
                "first": formats.format_day(first, with_weekday=False),
                "last": formats.format_day(last, with_weekday=False),
            }
    return error_message(error)


async def _page(
    request: Request,
    petition: Petition,
    collective: Actor,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    secret = instance_of(request).settings.webui.secret_key
    async with instance_of(request).database.session() as session:
        count = await paper_count(session, petition)
        recent = await recent_paper_signatures(session, petition)
    context: dict[str, Any] = {
        "petition": petition,
        "collective": collective,
        "url": page_url(petition),
        "values": values,
        "errors": errors,
        "paper_count": count,
        "recent": [
            {
                "signature": signature,
                "day": formats.format_day(signature.signed_at.astimezone(GENEVA).date()),
                "code": anonymous_id(signature, secret),
            }
            for signature in recent
        ],
    }
    return render(request, "petitions/paper.html", context, status_code)


async def paper_signatures(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form = await read_form(request) if request.method == "POST" else None
    petition, collective = await facilitated(request, viewer)
    today = utcnow().astimezone(GENEVA).date().isoformat()
    if form is None:
        params = request.query_params
        values = {"name": "", "address": "", "sheet": params.get("sheet", "")[:32],
                  "signed_on": params.get("day", "")[:10] or today}  # fmt: skip
        return await _page(request, petition, collective, values, {})
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    entry = PaperEntry(name=values["name"], address=values["address"],
                       signed_on=read_day(values["signed_on"]), sheet=values["sheet"])  # fmt: skip
    try:
        async with instance.database.transaction() as session:
            row, _collective = await petition_at(session, request)
            result = await add_paper_signature(
                session, viewer.actor, row, entry, instance.settings.webui.secret_key
            )
            count = row.signature_count
    except NotOrganiser:
        raise HTTPException(403, "only the collective's facilitators") from None
    except DomainError as error:
        errors = {error.field or "name": _refusal_words(error)}
        return await _page(request, petition, collective, values, errors, 400)
    _ = i18n.gettext
    counted = i18n.ngettext("Counted. The petition has %(num)s signature.",
                            "Counted. The petition has %(num)s signatures.", count)  # fmt: skip
    flash(request, counted % {"num": formats.format_count(count)}, "success")
    if result.same_name_online:
        names = formats.format_list_of(
            [f"{who.name or who.username} (@{who.username})" for who in result.same_name_online]
        )
        flash(request, _("Perhaps the same person twice: %(names)s signed online under this "
                         "name. Check it is not the same person; if it is, tell the collective's "
                         "admins.") % {"names": names}, "warning")  # fmt: skip
    again = urlencode({"sheet": values["sheet"], "day": values["signed_on"]})
    return RedirectResponse(f"{page_url(petition)}/paper?{again}", status_code=303)


routes: list[BaseRoute] = [
    Route("/petitions/{petition_uuid:uuid}/paper", paper_signatures, methods=["GET", "POST"],
          name="paper_signatures"),
]  # fmt: skip
