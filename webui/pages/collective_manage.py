"""Pages: managing a collective — its profile, membership requests, roles, invitations.

Roles are checked by the services of :mod:`actors.groups` on every action; a forged form from
someone without the role gets 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors import groups
from actors.group_profiles import (
    update_collective_profile,
)
from actors.queries import actor_by_id
from commons.media import MediaError
from commons.shares.queries import followed_collectives, shared_by, waiting_shares
from instance.runtime import instance_of
from storage.models.actors import (
    MEMBER_ROLES,
    MEMBERSHIP_ACCEPTED,
    MEMBERSHIP_PENDING,
)
from storage.models.shares import EVERYONE_WAITS, MEMBERS_WAIT
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.collectives import (
    INVITATION_SESSION_KEY,
    CollectiveForm,
    _text,
    blank_values,
    collective_in_path,
    form_context,
    join_mode_labels,
    manage_url,
    profile_of,
    read_collective_form,
    role_labels,
)
from webui.render import render
from webui.session import Viewer, flash, require_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor, Invitation, Membership


def share_approval_options() -> list[tuple[str, str]]:
    _ = i18n.gettext
    return [
        (MEMBERS_WAIT, _("Facilitators share at once; members' shares wait for a facilitator")),
        (EVERYONE_WAITS, _("Every share waits for the approval of another facilitator")),
    ]


async def _require_manager(session: AsyncSession, group: Actor, viewer: Viewer) -> Membership:
    membership = await groups.find_membership(session, group, viewer.actor)
    if not groups.is_moderator(membership):
        raise HTTPException(403, "facilitators and admins only")
    assert membership is not None
    return membership


async def _manage_context(
    session: AsyncSession, request: Request, group: Actor, viewer: Viewer
) -> dict[str, Any]:
    membership = await _require_manager(session, group, viewer)
    invitations: list[Invitation] = await groups.list_invitations(session, group)
    return {
        "group": group,
        "viewer_role": membership.role,
        "pending": await groups.list_memberships(session, group, MEMBERSHIP_PENDING),
        "members": await groups.list_memberships(session, group, MEMBERSHIP_ACCEPTED),
        "invitations": invitations,
        "new_invitation": request.session.pop(INVITATION_SESSION_KEY, None),
        "role_options": [(role, role_labels()[role]) for role in MEMBER_ROLES],
        "role_labels": role_labels(),
        "join_mode_labels": join_mode_labels(),
        "base_url": instance_of(request).settings.base_url,
        "waiting_shares": await waiting_shares(session, group),
        "shared": await shared_by(session, group),
        "followed": await followed_collectives(session, group),
        "approval_options": share_approval_options(),
    }


async def manage_page(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with instance_of(request).database.session() as session:
        group = await collective_in_path(session, request)
        context = await _manage_context(session, request, group, viewer)
    context.update(form_context(CollectiveForm(blank_values(group))))
    return render(request, "collectives/manage.html", context)


async def edit_collective(request: Request) -> Response:
    viewer = await require_viewer(request)
    submitted = await read_form(request)
    instance = instance_of(request)
    _ = i18n.gettext
    form = await read_collective_form(submitted, is_new=False)
    async with instance.database.session() as session:
        group = await collective_in_path(session, request)
        await _require_manager(session, group, viewer)
    if not form.errors:
        try:
            async with instance.database.transaction() as session:
                row = await actor_by_id(session, group.id)
                assert row is not None
                await update_collective_profile(
                    session, instance.settings, viewer.actor, row, profile_of(form)
                )
        except groups.NotAllowed:
            raise HTTPException(403, "facilitators and admins only") from None
        except MediaError as error:
            form.errors["avatar"] = error_message(error)
    if form.errors:
        async with instance.database.session() as session:
            context = await _manage_context(session, request, group, viewer)
        form.values["name"] = group.username
        context.update(form_context(form))
        return render(request, "collectives/manage.html", context, 400)
    flash(request, _("The collective's profile is saved."), "success")
    return RedirectResponse(manage_url(request), status_code=303)


async def _membership_action(request: Request, action: str) -> Response:
    """Answer a request, change a role, remove a member: the service checks the role."""
    viewer = await require_viewer(request)
    form = await read_form(request)
    instance = instance_of(request)
    member_id: int = request.path_params["member_id"]
    _ = i18n.gettext
    try:
        async with instance.database.transaction() as session:
            group = await collective_in_path(session, request)
            match action:
                case "answer":
                    accept = _text(form, "decision") == "accept"
                    await groups.answer_request(
                        session, instance.uris, group, viewer.actor, member_id, accept=accept
                    )
                    message = _("Request accepted.") if accept else _("Request refused.")
                case "role":
                    role = _text(form, "role")
                    await groups.change_role(session, group, viewer.actor, member_id, role)
                    message = _("Role changed.")
                case _:
                    await groups.remove_member(session, group, viewer.actor, member_id)
                    message = _("Member removed.")
    except groups.NotAllowed:
        raise HTTPException(403, "not allowed for your role") from None
    except groups.NotAMember:
        raise HTTPException(404, "no such member or request") from None
    except groups.InvalidRole:
        raise HTTPException(400, "unknown role") from None
    except groups.LastAdmin:
        flash(request, _("A collective keeps at least one admin."), "error")
    else:
        flash(request, message, "success")
    return RedirectResponse(manage_url(request), status_code=303)


async def answer_request(request: Request) -> Response:
    return await _membership_action(request, "answer")


async def change_role(request: Request) -> Response:
    return await _membership_action(request, "role")


async def remove_member(request: Request) -> Response:
    return await _membership_action(request, "remove")


async def create_invitation(request: Request) -> Response:
    """The code is kept hashed: the link is shown once, on the next page."""
    viewer = await require_viewer(request)
    await read_form(request)
    instance = instance_of(request)
    try:
        async with instance.database.transaction() as session:
            group = await collective_in_path(session, request)
            code = await groups.create_invitation(
                session, group, viewer.actor, created_by_account_id=viewer.account.id
            )
    except groups.NotAllowed:
        raise HTTPException(403, "not allowed for your role") from None
    link = f"{instance.settings.base_url}/@{group.username}/join?code={code}"
    request.session[INVITATION_SESSION_KEY] = link
    return RedirectResponse(manage_url(request, "invitations"), status_code=303)


routes: list[BaseRoute] = [
    Route("/@{username}/manage", manage_page, methods=["GET"], name="collective_manage"),
    Route("/@{username}/manage/profile", edit_collective, methods=["POST"],
          name="collective_edit"),
    Route("/@{username}/manage/requests/{member_id:int}", answer_request, methods=["POST"],
          name="collective_answer_request"),
    Route("/@{username}/manage/members/{member_id:int}/role", change_role, methods=["POST"],
          name="collective_change_role"),
    Route("/@{username}/manage/members/{member_id:int}/remove", remove_member, methods=["POST"],
          name="collective_remove_member"),
    Route("/@{username}/manage/invitations", create_invitation, methods=["POST"],
          name="collective_invite"),
]  # fmt: skip
