"""Page: where a resident is logged in, and ending the other sessions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors import web_sessions
from instance.runtime import instance_of
from webui import i18n
from webui.csrf import read_form
from webui.render import render
from webui.session import flash, require_viewer


async def sessions_page(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with instance_of(request).database.session() as session:
        rows = await web_sessions.active_sessions(session, viewer.account.id)
    context = {"sessions": rows, "current": viewer.session_id}
    return render(request, "accounts/sessions.html", context)


async def end_session(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    which = form.get("session")
    async with instance_of(request).database.transaction() as session:
        if which == "others":
            await web_sessions.end_sessions(session, viewer.account.id, keep=viewer.session_id)
            ended = True
        elif isinstance(which, str) and which != viewer.session_id:
            ended = await web_sessions.end_other_session(session, viewer.account.id, which)
        else:
            ended = False
    if ended:
        flash(request, i18n.gettext("Done: that session is over."))
    return RedirectResponse("/settings/sessions", status_code=303)


routes: list[BaseRoute] = [
    Route("/settings/sessions", sessions_page, methods=["GET"], name="sessions"),
    Route("/settings/sessions/end", end_session, methods=["POST"], name="end_session"),
]
