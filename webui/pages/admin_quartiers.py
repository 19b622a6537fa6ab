"""Pages: the admin's federation with other quartiers — propose it by address, answer the
proposals received, pause, resume or end it (:mod:`actors.quartier_federation`)."""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors import quartier_federation as federation
from actors.backfills import backfills_by_neighbour
from actors.city_scope import neighbour_choices, set_in_city_views
from actors.neighbour_descriptions import NeighbourDescriptions
from actors.remote import HandleNotResolved
from config.uris import INSTANCE_USERNAME
from instance.runtime import instance_of
from storage.models import Backfill
from storage.models.queue import DONE, FAILED
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import N_
from webui.pages.accounts import text_field
from webui.pages.admin import normalise_domain
from webui.render import render
from webui.session import flash, require_admin

PATH = "/admin/quartiers"
_ = i18n.gettext

# Where the reading of a neighbour's recent content is shown: once federation began.
SHOWS_BACKFILL = frozenset(
    {federation.Link.FEDERATED, federation.Link.PAUSED, federation.Link.PAUSED_THERE}
)

# Why reading a neighbour's recent content failed, by the word the reading keeps.
FAILURES = {
    "status": N_("their server answered with an error (%(detail)s)"),
    "timeout": N_("their server did not answer in time"),
    "unreachable": N_("their server cannot be reached"),
    "too_large": N_("their server sent a page too large to read"),
    "invalid": N_("their server did not send a list of activities"),
    "ended": N_("federation ended meanwhile"),
    "blocked": N_("their domain is blocked here"),
    "error": N_("an error of this server interrupted it (see its logs)"),
}


def backfill_words(row: Backfill | None) -> tuple[str, str] | None:
    """Where the reading of a neighbour's recent content stands, for the admin: a sentence
    and its kind (``running``, ``done``, ``failed``)."""
    if row is None:
        return None
    count = row.items_done
    if row.state == DONE:
        words = i18n.ngettext("Recent content fetched: %(num)s item.", "Recent content fetched: %(num)s items.", count)  # fmt: skip
        return words % {"num": count}, "done"
    if row.state == FAILED:
        reason = _(FAILURES.get(row.failure or "", FAILURES["invalid"]))
        reason %= {"detail": row.last_error or ""} if "%(detail)s" in reason else {}
        return _("Fetching their recent content failed: %(reason)s") % {"reason": reason}, "failed"
    words = i18n.ngettext("Fetching their recent content: %(num)s item…", "Fetching their recent content: %(num)s items…", count)  # fmt: skip
    return words % {"num": count}, "running"


async def quartiers(request: Request) -> Response:
    await require_admin(request)
    if request.method == "GET":
        return await _page(request, {}, {})
    form = await read_form(request)
    values = {"address": text_field(form, "address")}
    instance = instance_of(request)
    authority = normalise_domain(values["address"], keep_port=True)
    if authority is None:
        return await _page(request, values, {"address": _("Give the address of a quartier, like servette.example.")}, 400)  # fmt: skip
    if authority == instance.settings.server.domain:
        return await _page(request, values, {"address": _("This is our own address.")}, 400)
    try:
        there = await instance.remote_actors.by_handle(INSTANCE_USERNAME, authority)
    except HandleNotResolved as error:
        message = (
            _("This domain is blocked.")
            if error.reason == "blocked"
            else _("No quartier server answers at this address.")
        )
        return await _page(request, values, {"address": message}, 400)
    if not federation.is_instance_actor(there):
        return await _page(request, values, {"address": _("No quartier server answers at this address.")}, 400)  # fmt: skip
    async with instance.database.transaction() as session:
        here = await federation.instance_actor_of(session)
        await federation.propose(session, instance.uris, here, there)
    flash(request, _("Federation proposed to %(domain)s.") % {"domain": there.domain})
    return RedirectResponse(PATH, status_code=303, background=_read_descriptions(request))


def _read_descriptions(request: Request) -> BackgroundTask:
    """Once the answer is sent, read what a quartier just met says of itself (its name for the
    city views), rather than at the next round of the workers."""
    instance = instance_of(request)
    return BackgroundTask(NeighbourDescriptions(instance.database, instance.federation).run_once)


async def _page(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    async with instance_of(request).database.session() as session:
        here = await federation.instance_actor_of(session)
        found = await federation.federations(session, here)
        neighbours = await neighbour_choices(session)
        backfills = await backfills_by_neighbour(session)
    by_link: dict[str, list[federation.Federation]] = {link.value: [] for link in federation.Link}
    for item in found:
        by_link[item.link.value].append(item)
    progress = {
        item.quartier.id: backfill_words(backfills.get(item.quartier.id))
        for item in found
        if item.link in SHOWS_BACKFILL
    }
    context = {
        "by_link": by_link,
        "values": values,
        "errors": errors,
        "any": bool(found),
        "neighbours": neighbours,
        "progress": progress,
    }
    return render(request, "admin/quartiers.html", context, status_code)


CHANGES: dict[str, tuple[federation.Change, str]] = {
    "accept": (federation.accept, N_("Federation with %(domain)s accepted.")),
    "decline": (federation.decline, N_("Federation with %(domain)s declined.")),
    "pause": (federation.pause, N_("Federation with %(domain)s paused.")),
    "resume": (federation.resume, N_("Federation with %(domain)s resumed.")),
    "end": (federation.end, N_("Federation with %(domain)s ended.")),
}


async def change(request: Request) -> Response:
    await require_admin(request)
    action = CHANGES.get(request.path_params["action"])
    if action is None:
        raise HTTPException(404)
    form = await read_form(request)
    instance = instance_of(request)
    async with instance.database.transaction() as session:
        there = await federation.other_server_actor(session, text_field(form, "quartier"))
        if there is None:
            raise HTTPException(404)
        here = await federation.instance_actor_of(session)
        try:
            await action[0](session, instance.uris, here, there)
        except LookupError:
            raise HTTPException(404) from None
    flash(request, _(action[1]) % {"domain": there.domain})
    return RedirectResponse(PATH, status_code=303, background=_read_descriptions(request))


async def city_views(request: Request) -> Response:
    """Show a neighbour quartier's content in the city views, or leave it out."""
    await require_admin(request)
    form = await read_form(request)
    domain = text_field(form, "quartier")
    shown = text_field(form, "shown") == "1"
    async with instance_of(request).database.transaction() as session:
        if not await set_in_city_views(session, domain, shown):
            raise HTTPException(404)
    message = (
        _("%(domain)s is shown in the city views.")
        if shown
        else _("%(domain)s is left out of the city views.")
    )
    flash(request, message % {"domain": domain})
    return RedirectResponse(PATH, status_code=303)


routes: list[BaseRoute] = [
    Route(PATH, quartiers, methods=["GET", "POST"], name="admin_quartiers"),
    Route(f"{PATH}/city-views", city_views, methods=["POST"]),
    Route(f"{PATH}/{{action}}", change, methods=["POST"]),
]
