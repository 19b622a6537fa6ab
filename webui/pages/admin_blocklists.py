"""Pages: blocklists of other servers the admin subscribes to, the entries they propose (apply or
dismiss), and our own blocklist published for them (:mod:`actors.blocklists`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors import blocklist_reader as reader
from actors import blocklists
from actors.blocklist_csv import build_blocklist
from instance.runtime import instance_of
from storage.models.hosts import LIMIT
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import N_
from webui.pages.accounts import text_field
from webui.path_ids import row_id
from webui.render import render
from webui.session import flash, require_admin

PATH = "/admin/blocklists"
PUBLISHED_PATH = "/moderation/blocklist.csv"
MAX_URL = 2048
_ = i18n.gettext

FAILURES = {
    reader.UNREACHABLE: N_("The server did not answer."),
    reader.TIMEOUT: N_("The server took too long to answer."),
    reader.PRIVATE_ADDRESS: N_("This address is on a private network."),
    reader.TOO_LARGE: N_("The file is too large (more than 2 MB)."),
    reader.BAD_STATUS: N_("The server answered with an error."),
    reader.UNREADABLE: N_("The file is not a blocklist (no line names a domain)."),
    reader.NO_CLIENT: N_("This server reads no other server."),
}


def _id(request: Request) -> int:
    return row_id(request.path_params["id"])


def _back() -> Response:
    return RedirectResponse(PATH, status_code=303)


def failure_text(code: str | None) -> str:
    return _(FAILURES.get(code or "", FAILURES[reader.UNREACHABLE])) if code else ""


def _valid_url(text: str, own_base: str) -> str | None:
    url = text.strip()
    if len(url) > MAX_URL or not url.startswith(("https://", "http://")):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.hostname or url.startswith(own_base + "/") or " " in url:
        return None
    return url


async def blocklist_page(request: Request) -> Response:
    await require_admin(request)
    if request.method == "GET":
        return await _page(request, {}, {})
    form = await read_form(request)
    values = {"url": text_field(form, "url")}
    instance = instance_of(request)
    url = _valid_url(values["url"], instance.settings.base_url)
    if url is None:
        message = _("Give the address of a blocklist, like https://servette.example/moderation/blocklist.csv.")  # fmt: skip
        return await _page(request, values, {"url": message}, 400)
    async with instance.database.transaction() as session:
        subscription, is_new = await blocklists.subscribe(session, url)
        subscription_id = subscription.id
    if not is_new:
        flash(request, _("This blocklist is already read."))
        return _back()
    await _read_now(request, subscription_id)
    return _back()


async def _read_now(request: Request, subscription_id: int) -> None:
    instance = instance_of(request)
    failure = await reader.BlocklistReader(
        instance.database, instance.federation, instance.settings.host
    ).read(subscription_id)
    if failure is None:
        flash(request, _("The blocklist was read: its new entries wait for your review below."))
    else:
        flash(request, _("The blocklist could not be read: %(why)s") % {"why": failure_text(failure)}, "error")  # fmt: skip


async def _page(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    instance = instance_of(request)
    async with instance.database.session() as session:
        subscriptions = await blocklists.list_subscriptions(session)
        waiting = await blocklists.waiting_proposals(session)
    context = {
        "subscriptions": subscriptions,
        "waiting": waiting,
        "values": values,
        "errors": errors,
        "failure_text": failure_text,
        "LIMIT": LIMIT,
        "is_published": instance.settings.federation.publish_blocklist,
        "published_url": f"{instance.settings.base_url}{PUBLISHED_PATH}",
    }
    return render(request, "admin/blocklists.html", context, status_code)


async def read_again(request: Request) -> Response:
    await require_admin(request)
    await read_form(request)
    async with instance_of(request).database.session() as session:
        if await blocklists.subscription_by_id(session, _id(request)) is None:
            raise HTTPException(404)
    await _read_now(request, _id(request))
    return _back()


async def unsubscribe(request: Request) -> Response:
    await require_admin(request)
    await read_form(request)
    async with instance_of(request).database.transaction() as session:
        url = await blocklists.unsubscribe(session, _id(request))
    if url is None:
        raise HTTPException(404)
    flash(request, _("The blocklist %(url)s is no longer read; the blocks applied from it stay.") % {"url": url})  # fmt: skip
    return _back()


async def apply(request: Request) -> Response:
    await require_admin(request)
    await read_form(request)
    instance = instance_of(request)
    async with instance.database.transaction() as session:
        proposal = await blocklists.apply_proposal(session, _id(request))
        domain = proposal.domain if proposal is not None else None
    if domain is None:
        raise HTTPException(404)
    instance.blocks.invalidate()
    flash(request, _("%(domain)s is blocked as the blocklist proposed.") % {"domain": domain})
    return _back()


async def dismiss(request: Request) -> Response:
    await require_admin(request)
    await read_form(request)
    async with instance_of(request).database.transaction() as session:
        proposal = await blocklists.dismiss_proposal(session, _id(request))
        domain = proposal.domain if proposal is not None else None
    if domain is None:
        raise HTTPException(404)
    flash(request, _("%(domain)s is left aside; this blocklist will not propose it again.") % {"domain": domain})  # fmt: skip
    return _back()


async def published_blocklist(request: Request) -> Response:
    """Our blocks, for other servers to subscribe to, when the admin publishes them."""
    instance = instance_of(request)
    if not instance.settings.federation.publish_blocklist:
        raise HTTPException(404)
    async with instance.database.session() as session:
        entries = await blocklists.published_entries(session)
    return Response(
        build_blocklist(entries),
        media_type="text/csv; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


routes: list[BaseRoute] = [
    Route(PATH, blocklist_page, methods=["GET", "POST"], name="admin_blocklists"),
    Route(f"{PATH}/{{id}}/read", read_again, methods=["POST"]),
    Route(f"{PATH}/{{id}}/remove", unsubscribe, methods=["POST"]),
    Route(f"{PATH}/proposals/{{id}}/apply", apply, methods=["POST"]),
    Route(f"{PATH}/proposals/{{id}}/dismiss", dismiss, methods=["POST"]),
    Route(PUBLISHED_PATH, published_blocklist, name="published_blocklist"),
]
