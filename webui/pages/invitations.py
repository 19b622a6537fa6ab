"""Page: a resident invites a neighbour — a link for one person, valid a week — when the admin
allows it (``webui.residents_invite``). Without it, sign-up by invitation would depend on the
admins alone."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from actors import invitations as invitation_services
from instance.runtime import instance_of
from storage.models import utcnow
from webui import i18n
from webui.csrf import read_form
from webui.render import render, secret_page
from webui.session import Viewer, require_viewer

VALID_DAYS = 7


async def invitations_page(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    if not instance.settings.webui.residents_invite and not viewer.account.is_admin:
        raise HTTPException(403, "residents may not invite on this instance")
    if request.method == "GET":
        return await _page(request, viewer)
    await read_form(request)
    async with instance.database.transaction() as session:
        mine = await invitation_services.invitations_by(session, viewer.account.id)
        usable = sum(invitation_services.is_usable(invitation) for invitation in mine)
        if usable >= invitation_services.RESIDENT_INVITATIONS_OPEN and not viewer.account.is_admin:
            error = i18n.gettext(
                "You already have %(count)d links that nobody has used yet. Wait until your "
                "neighbours have used them, or until they expire."
            ) % {"count": usable}
            return await _page(request, viewer, error=error, status_code=400)
        created = await invitation_services.create_invitation(
            session, created_by_id=viewer.account.id, max_uses=1, valid_days=VALID_DAYS
        )
    link = f"{instance.settings.base_url}/invite/{created.code}"
    return secret_page(await _page(request, viewer, new_link=link))


async def _page(
    request: Request, viewer: Viewer, *, new_link: str = "", error: str = "", status_code: int = 200
) -> Response:
    async with instance_of(request).database.session() as session:
        mine = await invitation_services.invitations_by(session, viewer.account.id)
    now = utcnow()
    context: dict[str, Any] = {
        "invitations": [
            (invitation, invitation_services.is_usable(invitation, now)) for invitation in mine
        ],
        "new_link": new_link,
        "error": error,
        "valid_days": VALID_DAYS,
    }
    return render(request, "invitations.html", context, status_code)


routes: list[BaseRoute] = [
    Route("/invitations", invitations_page, methods=["GET", "POST"], name="invitations"),
]
