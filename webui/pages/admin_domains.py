"""Pages: domains suspended or limited — block, change the severity, lift; each says where it
came from (typed here, or applied from a subscribed blocklist: :mod:`webui.pages.admin_blocklists`).

Moderators read the list; every change is for admins, checked again on the server.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.blocklist_csv import MAX_REASON
from instance.runtime import instance_of
from storage import blocks as domain_blocks
from storage.models.hosts import LIMIT, SEVERITIES, SUSPEND
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.accounts import text_field
from webui.pages.admin import normalise_domain
from webui.render import render
from webui.session import flash, require_admin, require_moderator

PATH = "/admin/domains"
_ = i18n.gettext


def severity_choices() -> list[tuple[str, str]]:
    return [
        (SUSPEND, _("Suspend: refuse everything")),
        (LIMIT, _("Limit: keep out of the city's views")),
    ]


def done_message(domain: str, severity: str) -> str:
    if severity == LIMIT:
        return _("%(domain)s is limited.") % {"domain": domain}
    return _("%(domain)s is blocked.") % {"domain": domain}


async def domains(request: Request) -> Response:
    viewer = await require_moderator(request)
    if request.method == "GET":
        return await _page(request, {"severity": SUSPEND}, {})
    if not viewer.is_admin:
        raise HTTPException(403, "admins only")
    form = await read_form(request)
    values = {
        "domain": text_field(form, "domain"),
        "reason": text_field(form, "reason"),
        "severity": text_field(form, "severity") or SUSPEND,
    }
    domain = normalise_domain(values["domain"])
    errors: dict[str, str] = {}
    if domain is None:
        errors["domain"] = _("Give a domain name, like spam.example.")
    elif domain == instance_of(request).settings.host:
        errors["domain"] = _("This is our own domain.")
    if len(values["reason"]) > MAX_REASON:
        errors["reason"] = error_message("too_long")
    if values["severity"] not in SEVERITIES:
        errors["severity"] = error_message("invalid")
    if errors or domain is None:
        return await _page(request, values, errors, 400)
    instance = instance_of(request)
    async with instance.database.transaction() as session:
        await domain_blocks.block_domain(
            session, domain, values["reason"], severity=values["severity"]
        )
    instance.blocks.invalidate()
    flash(request, done_message(domain, values["severity"]))
    return RedirectResponse(PATH, status_code=303)


async def _page(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    async with instance_of(request).database.session() as session:
        rows = await domain_blocks.list_blocks(session)
    context = {
        "blocks": rows,
        "values": values,
        "errors": errors,
        "severities": severity_choices(),
        "LIMIT": LIMIT,
    }
    return render(request, "admin/domains.html", context, status_code)


async def change_severity(request: Request) -> Response:
    await require_admin(request)
    form = await read_form(request)
    domain = text_field(form, "domain").lower()
    severity = text_field(form, "severity")
    if severity not in SEVERITIES:
        raise HTTPException(400, "unknown severity")
    instance = instance_of(request)
    async with instance.database.transaction() as session:
        if await domain_blocks.block_of(session, domain) is None:
            raise HTTPException(404)
        await domain_blocks.block_domain(session, domain, severity=severity)
    instance.blocks.invalidate()
    flash(request, done_message(domain, severity))
    return RedirectResponse(PATH, status_code=303)


async def unblock_domain(request: Request) -> Response:
    await require_admin(request)
    form = await read_form(request)
    domain = text_field(form, "domain").lower()
    instance = instance_of(request)
    async with instance.database.transaction() as session:
        unblocked = await domain_blocks.unblock_domain(session, domain)
    if not unblocked:
        raise HTTPException(404)
    instance.blocks.invalidate()
    flash(request, _("%(domain)s is no longer blocked.") % {"domain": domain})
    return RedirectResponse(PATH, status_code=303)


routes: list[BaseRoute] = [
    Route(PATH, domains, methods=["GET", "POST"], name="admin_domains"),
    Route(f"{PATH}/severity", change_severity, methods=["POST"]),
    Route(f"{PATH}/remove", unblock_domain, methods=["POST"]),
]
