"""Pages: sharing an item into a collective, a collective's queue of shares, what it shares
without approval, and the collectives it follows.

Roles are checked by :mod:`commons.shares.services` on every action; a refusal reads as a
sentence in the person's language (403 for a role, 409 for a share already answered).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.queries import collective_named
from actors.remote import HandleNotResolved
from commons.shares import services as shares
from commons.shares.items import MODELS, item_by_id
from config.errors import Conflict, DomainError, NotAllowed
from instance.runtime import instance_of
from storage.integers import parse_row_id
from storage.models.shares import SHARE_APPROVALS, SHARE_SHARED
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.collectives import _text, collective_in_path, manage_url
from webui.render import render
from webui.session import flash, require_viewer


def _refused(request: Request, error: DomainError) -> Response:
    """A refusal as a page: 403 for what a role forbids, 409 for a state that changed."""
    _ = i18n.gettext
    status = 409 if isinstance(error, Conflict) else 403
    title = _("Not allowed") if isinstance(error, NotAllowed) else _("Already answered")
    return render(request, "error.html", {"title": title, "message": error_message(error)}, status)


async def share_item(request: Request) -> Response:
    """A member shares an event, offer, petition or post into one of their collectives."""
    viewer = await require_viewer(request)
    form = await read_form(request)
    instance = instance_of(request)
    _ = i18n.gettext
    kind, name = _text(form, "kind"), _text(form, "collective").lower()
    item_id = parse_row_id(_text(form, "item_id"))
    if kind not in MODELS or item_id is None or not name:
        raise HTTPException(400, "kind, item_id and collective are required")
    try:
        async with instance.database.transaction() as session:
            item = await item_by_id(session, kind, item_id)
            group = await collective_named(session, name)
            if item is None or group is None or not group.is_local or group.is_gone:
                raise HTTPException(404, "no such item or collective")
            share = await shares.share_into(session, instance.uris, group, viewer.actor, item)
            shared, path = share.state == SHARE_SHARED, item.path
            group_name = group.name or group.username
    except DomainError as error:
        return _refused(request, error)
    if shared:
        flash(request, _("Shared into %(group)s.") % {"group": group_name}, "success")
    else:
        flash(request, _("Proposed to %(group)s: a facilitator will approve it.")
              % {"group": group_name}, "success")  # fmt: skip
    return RedirectResponse(path, status_code=303)


async def _answer(request: Request, decision: str) -> Response:
    viewer = await require_viewer(request)
    await read_form(request)
    instance = instance_of(request)
    share_id: int = request.path_params["share_id"]
    _ = i18n.gettext
    try:
        async with instance.database.transaction() as session:
            group = await collective_in_path(session, request)
            match decision:
                case "approve":
                    await shares.approve_share(session, instance.uris, group, viewer.actor,
                                               share_id)  # fmt: skip
                    message = _("The share is approved and sent.")
                case "refuse":
                    await shares.refuse_share(session, group, viewer.actor, share_id)
                    message = _("The share is refused; who proposed it is told.")
                case _:
                    await shares.remove_share(session, instance.uris, group, viewer.actor,
                                              share_id)  # fmt: skip
                    message = _("The item no longer is shared by the collective.")
    except shares.NoSuchShare:
        raise HTTPException(404, "no such share") from None
    except DomainError as error:
        return _refused(request, error)
    flash(request, message, "success")
    return RedirectResponse(manage_url(request, "shares"), status_code=303)


async def approve(request: Request) -> Response:
    return await _answer(request, "approve")


async def refuse(request: Request) -> Response:
    return await _answer(request, "refuse")


async def remove(request: Request) -> Response:
    return await _answer(request, "remove")


async def sharing_settings(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    instance = instance_of(request)
    approval = _text(form, "share_approval")
    if approval not in SHARE_APPROVALS:
        raise HTTPException(400, "unknown approval")
    try:
        async with instance.database.transaction() as session:
            group = await collective_in_path(session, request)
            await shares.set_share_approval(session, group, viewer.actor, approval,
                followed_directly=form.get("shares_followed_directly") == "1")  # fmt: skip
    except DomainError as error:
        return _refused(request, error)
    flash(request, i18n.gettext("How the collective shares is saved."), "success")
    return RedirectResponse(manage_url(request, "shares"), status_code=303)


async def follow_collective(request: Request) -> Response:
    """Follow a collective by its address: ``name`` here, ``name@quartier`` elsewhere."""
    viewer = await require_viewer(request)
    form = await read_form(request)
    instance = instance_of(request)
    _ = i18n.gettext
    handle = _text(form, "handle").lstrip("@").lower()
    username, _sep, host = handle.partition("@")
    if not username:
        flash(request, _("Give a collective's address, like assemblee@paquis.example."), "error")
        return RedirectResponse(manage_url(request, "following"), status_code=303)
    ours = not host or host in (instance.settings.server.domain, instance.settings.host)
    target = None
    if ours:
        async with instance.database.session() as session:
            target = await collective_named(session, username)
    else:
        try:
            target = await instance.remote_actors.by_handle(username, host)
        except HandleNotResolved:
            target = None
    if target is None:
        flash(request, _("No collective answers at this address."), "error")
        return RedirectResponse(manage_url(request, "following"), status_code=303)
    try:
        async with instance.database.transaction() as session:
            group = await collective_in_path(session, request)
            await shares.follow_collective(session, instance.uris, group, viewer.actor, target)
    except shares.NotACollective as error:
        flash(request, error_message(error), "error")
        return RedirectResponse(manage_url(request, "following"), status_code=303)
    except DomainError as error:
        return _refused(request, error)
    flash(request, _("The collective now follows %(name)s.") % {"name": target.handle}, "success")
    return RedirectResponse(manage_url(request, "following"), status_code=303)


async def unfollow_collective(request: Request) -> Response:
    viewer = await require_viewer(request)
    await read_form(request)
    instance = instance_of(request)
    try:
        async with instance.database.transaction() as session:
            group = await collective_in_path(session, request)
            await shares.unfollow_collective(session, instance.uris, group, viewer.actor,
                                             request.path_params["actor_id"])  # fmt: skip
    except shares.NoSuchShare:
        raise HTTPException(404, "no such collective") from None
    except DomainError as error:
        return _refused(request, error)
    flash(request, i18n.gettext("The collective no longer follows it."), "success")
    return RedirectResponse(manage_url(request, "following"), status_code=303)


routes: list[BaseRoute] = [
    Route("/shares", share_item, methods=["POST"], name="share_item"),
    Route("/@{username}/manage/shares/{share_id:int}/approve", approve, methods=["POST"],
          name="collective_approve_share"),
    Route("/@{username}/manage/shares/{share_id:int}/refuse", refuse, methods=["POST"],
          name="collective_refuse_share"),
    Route("/@{username}/manage/shares/{share_id:int}/remove", remove, methods=["POST"],
          name="collective_remove_share"),
    Route("/@{username}/manage/sharing", sharing_settings, methods=["POST"],
          name="collective_sharing"),
    Route("/@{username}/manage/following", follow_collective, methods=["POST"],
          name="collective_follow"),
    Route("/@{username}/manage/following/{actor_id:int}/stop", unfollow_collective,
          methods=["POST"], name="collective_unfollow"),
]  # fmt: skip
