"""Pages: administration — sign-ups, invitations, accounts, federation health (the domain blocks
are in :mod:`webui.pages.admin_domains`).

Moderators may read the dashboard, the domain blocks and the federation health; everything that
changes something is for admins, and each action checks the role again on the server.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors import accounts as account_services
from actors import invitations as invitation_services
from actors.blocklist_csv import HOST_RE
from actors.blocklists import count_waiting_proposals
from actors.invitations import MAX_USES_LIMIT, is_usable
from actors.queries import account_by_id, count_accounts
from actors.reports import open_report_count, reports_to_show, resolve_report
from config.errors import DomainError, ErrorCode
from instance.runtime import instance_of
from outbox.health import counts_by_state, failing_hosts, latest_deliveries, queued_deliveries
from storage import blocks as domain_blocks
from storage.integers import parse_whole
from storage.models import Delivery, InboxItem, utcnow
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.accounts import text_field
from webui.path_ids import row_id
from webui.render import render, secret_page
from webui.session import flash, require_admin, require_moderator

VALID_DAYS_CHOICES = ("1", "7", "30", "90", "never")


def _id(request: Request) -> int:
    return row_id(request.path_params["id"])


def _back(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


# ---------------------------------------------------------------------------------------------
# Dashboard


async def dashboard(request: Request) -> Response:
    await require_moderator(request)
    async with instance_of(request).database.session() as session:
        pending = len(await account_services.pending_accounts(session))
        accounts = await count_accounts(session)
        blocks = await domain_blocks.count_blocks(session)
        queued = await queued_deliveries(session)
        reports = await open_report_count(session)
        proposals = await count_waiting_proposals(session)
    context = {
        "pending": pending,
        "accounts": accounts,
        "blocks": blocks,
        "queued": queued,
        "reports": reports,
        "proposals": proposals,
    }
    return render(request, "admin/index.html", context)


# ---------------------------------------------------------------------------------------------
# Sign-ups waiting for approval


async def signups(request: Request) -> Response:
    await require_admin(request)
    async with instance_of(request).database.session() as session:
        rows = await account_services.pending_accounts(session)
    return render(request, "admin/signups.html", {"rows": rows})


async def approve_signup(request: Request) -> Response:
    await require_admin(request)
    await read_form(request)
    async with instance_of(request).database.transaction() as session:
        account = await account_services.approve_account(session, _id(request))
    if account is None:
        raise HTTPException(404)
    flash(request, i18n.gettext("@%(name)s can now log in.") % {"name": account.username})
    return _back("/admin/signups")


async def refuse_signup(request: Request) -> Response:
    await require_admin(request)
    await read_form(request)
    async with instance_of(request).database.transaction() as session:
        username = await account_services.refuse_account(session, _id(request))
    if username is None:
        raise HTTPException(404)
    flash(request, i18n.gettext("The request of @%(name)s is refused.") % {"name": username})
    return _back("/admin/signups")


# ---------------------------------------------------------------------------------------------
# Invitations


async def invitations(request: Request) -> Response:
    await require_admin(request)
    if request.method == "GET":
        return await _invitations_page(request, {"max_uses": "1", "valid_days": "7"}, {})
    viewer = await require_admin(request)
    form = await read_form(request)
    values = {
        "max_uses": text_field(form, "max_uses"),
        "valid_days": text_field(form, "valid_days"),
    }
    errors: dict[str, str] = {}
    max_uses = parse_whole(values["max_uses"]) or 0
    if not 1 <= max_uses <= MAX_USES_LIMIT:
        errors["max_uses"] = i18n.gettext("Give a number between 1 and %(max)d.") % {
            "max": MAX_USES_LIMIT
        }
    if values["valid_days"] not in VALID_DAYS_CHOICES:
        errors["valid_days"] = error_message("invalid")
    if errors:
        return await _invitations_page(request, values, errors, 400)
    valid_days = None if values["valid_days"] == "never" else int(values["valid_days"])
    async with instance_of(request).database.transaction() as session:
        created = await invitation_services.create_invitation(
            session, created_by_id=viewer.account.id, max_uses=max_uses, valid_days=valid_days
        )
    link = f"{instance_of(request).settings.base_url}/invite/{created.code}"
    response = await _invitations_page(request, values, {}, new_link=link)
    return secret_page(response)


async def _invitations_page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    *,
    new_link: str = "",
) -> Response:
    _ = i18n.gettext
    async with instance_of(request).database.session() as session:
        rows = await invitation_services.list_invitations(session)
    now = utcnow()
    context: dict[str, Any] = {
        "invitations": [(invitation, is_usable(invitation, now)) for invitation in rows],
        "values": values,
        "errors": errors,
        "new_link": new_link,
        "valid_days_options": [
            ("1", _("1 day")),
            ("7", _("1 week")),
            ("30", _("1 month")),
            ("90", _("3 months")),
            ("never", _("No end date")),
        ],
        "registration": instance_of(request).settings.webui.registration,
    }
    return render(request, "admin/invitations.html", context, status_code)


async def revoke_invitation(request: Request) -> Response:
    await require_admin(request)
    await read_form(request)
    async with instance_of(request).database.transaction() as session:
        revoked = await invitation_services.revoke_invitation(session, _id(request))
    if not revoked:
        raise HTTPException(404)
    flash(request, i18n.gettext("The invitation is revoked: its link no longer works."))
    return _back("/admin/invitations")


# ---------------------------------------------------------------------------------------------
# Accounts


async def accounts(request: Request) -> Response:
    viewer = await require_admin(request)
    query = request.query_params.get("q", "")[:100]
    async with instance_of(request).database.session() as session:
        rows = await account_services.search_accounts(session, query)
    context = {"rows": rows, "query": query, "me": viewer.account.id}
    return render(request, "admin/accounts.html", context)


async def _account_action(request: Request, suspended: bool) -> Response:
    await require_admin(request)
    await read_form(request)
    try:
        async with instance_of(request).database.transaction() as session:
            account = await account_services.set_suspended(session, _id(request), suspended)
    except DomainError as error:
        if error.code == ErrorCode.UNKNOWN_ACCOUNT:
            raise HTTPException(404) from None
        flash(request, error_message(error), "error")
        return _back("/admin/accounts")
    message = (
        i18n.gettext("@%(name)s is suspended: they can no longer log in.")
        if suspended
        else i18n.gettext("@%(name)s is restored: they can log in again.")
    )
    flash(request, message % {"name": account.username})
    return _back("/admin/accounts")


async def suspend_account(request: Request) -> Response:
    return await _account_action(request, True)


async def restore_account(request: Request) -> Response:
    return await _account_action(request, False)


async def set_roles(request: Request) -> Response:
    await require_admin(request)
    form = await read_form(request)
    try:
        async with instance_of(request).database.transaction() as session:
            account = await account_services.set_roles(
                session,
                _id(request),
                is_admin=form.get("is_admin") == "1",
                is_moderator=form.get("is_moderator") == "1",
            )
    except DomainError as error:
        if error.code == ErrorCode.UNKNOWN_ACCOUNT:
            raise HTTPException(404) from None
        flash(request, error_message(error), "error")
        return _back("/admin/accounts")
    flash(request, i18n.gettext("The roles of @%(name)s are saved.") % {"name": account.username})
    return _back("/admin/accounts")


async def issue_reset(request: Request) -> Response:
    await require_admin(request)
    await read_form(request)
    instance = instance_of(request)
    async with instance.database.transaction() as session:
        account = await account_by_id(session, _id(request))
        if account is None:
            raise HTTPException(404)
        username = account.username
        code = await account_services.issue_password_reset(session, account.id)
    context = {"username": username, "link": f"{instance.settings.base_url}/reset/{code}"}
    return secret_page(render(request, "admin/reset_link.html", context))


# ---------------------------------------------------------------------------------------------
# Domain blocks


def normalise_domain(text: str, *, keep_port: bool = False) -> str | None:
    """``https://Bad.Example:443/x`` or ``@someone@bad.example`` → ``bad.example``; None if not a
    host. With ``keep_port``, a port stays (``servette.example:8443``, a quartier in development)."""
    value = text.strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    value = value.rsplit("@", 1)[-1].split("/", 1)[0]
    host, colon, port = value.partition(":")
    host = host.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not HOST_RE.match(host) or (
        keep_port and colon and not (port.isdigit() and 0 < int(port) < 65536)
    ):
        return None
    return f"{host}:{port}" if keep_port and colon else host


# ---------------------------------------------------------------------------------------------
# Federation health


async def health(request: Request) -> Response:
    await require_moderator(request)
    now: datetime = utcnow()
    async with instance_of(request).database.session() as session:
        inbox_counts = await counts_by_state(session, InboxItem)
        delivery_counts = await counts_by_state(session, Delivery)
        failing = await failing_hosts(session, now)
        latest = await latest_deliveries(session)
    context = {
        "inbox_counts": inbox_counts,
        "delivery_counts": delivery_counts,
        "failing_hosts": failing,
        "latest": latest,
        "now": now,
    }
    return render(request, "admin/health.html", context)


# ---------------------------------------------------------------------------------------------
# Reports from other servers


async def reports(request: Request) -> Response:
    await require_moderator(request)
    async with instance_of(request).database.session() as session:
        open_reports, handled = await reports_to_show(session)
    return render(request, "admin/reports.html", {"open_reports": open_reports, "handled": handled})


async def resolve(request: Request) -> Response:
    viewer = await require_moderator(request)
    await read_form(request)
    async with instance_of(request).database.transaction() as session:
        done = await resolve_report(session, _id(request), viewer.actor)
    if done:
        flash(request, i18n.gettext("The report is marked as handled."), "success")
    return _back("/admin/reports")


routes: list[BaseRoute] = [
    Route("/admin", dashboard, name="admin"),
    Route("/admin/signups", signups, name="admin_signups"),
    Route("/admin/signups/{id}/approve", approve_signup, methods=["POST"]),
    Route("/admin/signups/{id}/refuse", refuse_signup, methods=["POST"]),
    Route("/admin/invitations", invitations, methods=["GET", "POST"], name="admin_invitations"),
    Route("/admin/invitations/{id}/revoke", revoke_invitation, methods=["POST"]),
    Route("/admin/accounts", accounts, name="admin_accounts"),
    Route("/admin/accounts/{id}/suspend", suspend_account, methods=["POST"]),
    Route("/admin/accounts/{id}/restore", restore_account, methods=["POST"]),
    Route("/admin/accounts/{id}/roles", set_roles, methods=["POST"]),
    Route("/admin/accounts/{id}/reset", issue_reset, methods=["POST"]),
    Route("/admin/health", health, name="admin_health"),
    Route("/admin/reports", reports, name="admin_reports"),
    Route("/admin/reports/{id}/resolve", resolve, methods=["POST"]),
]
