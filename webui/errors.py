"""Friendly error pages for people; short JSON for machines."""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from federation.vocab import is_activitypub_media_type
from webui import i18n
from webui.render import render

log = logging.getLogger(__name__)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not is_activitypub_media_type(accept)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not _wants_html(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    if exc.status_code == 401:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    _ = i18n.gettext
    titles = {
        404: (_("Page not found"), _("This page does not exist, or no longer does.")),
        403: (_("Not allowed"), _("You are not allowed to do this.")),
        405: (_("Not allowed"), _("This address does not accept this request.")),
        413: (
            _("Too large"),
            _("What you sent is too large: each image may weigh 8 MB at most. Please try again."),
        ),
    }
    title, message = titles.get(
        exc.status_code, (_("Something is wrong with this request"), str(exc.detail))
    )
    return render(request, "error.html", {"title": title, "message": message}, exc.status_code)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if not _wants_html(request):
        return JSONResponse({"error": "internal error"}, status_code=500)
    _ = i18n.gettext
    return render(
        request,
        "error.html",
        {
            "title": _("Sorry, something went wrong"),
            "message": _("The problem has been recorded. Please try again in a moment."),
        },
        500,
    )
