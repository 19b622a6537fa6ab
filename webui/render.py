"""Rendering a page with what every template needs."""

from __future__ import annotations

import functools
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from instance.runtime import instance_of
from webui import i18n
from webui.csrf import csrf_token
from webui.easy_read import easy_read_on
from webui.look import current_look
from webui.session import pop_flashes


class _PageToken:
    """The session's CSRF token, made only if the page shows a form that needs it: a page without
    one sets no cookie and may be kept for the next visitor (:mod:`webui.visitor_pages`)."""

    __slots__ = ("request",)

    def __init__(self, request: Request) -> None:
        self.request = request

    def __str__(self) -> str:
        self.request.state.page_has_token = True
        return csrf_token(self.request)

    __html__ = __str__


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    *,
    kept_main: Markup | None = None,
) -> Response:
    """``template`` with ``context`` and what every page shows; ``kept_main`` is a listing kept
    by :mod:`webui.shared_listings`, shown instead of rendering the template's main block."""
    instance = instance_of(request)
    templates: Jinja2Templates = request.app.state.templates
    settings = instance.settings
    viewer = getattr(request.state, "viewer", None) or None
    full_context = {
        "viewer": viewer,
        "csrf_token": _PageToken(request) if "session" in request.scope else "",
        "flashes": pop_flashes(request) if "session" in request.scope else [],
        "lang": i18n.current_locale.get(),
        "instance_name": settings.server.name,
        "instance_handle": f"instance@{settings.server.domain}",
        "city": settings.server.city,
        "unread_count": getattr(request.state, "unread_count", 0),
        "look": current_look(request),
        "falc_mode": easy_read_on(request),
        **context,
    }
    keep = getattr(request.state, "keep_listing", None)
    full_context["kept_main"] = kept_main
    if kept_main is None and keep is not None and status_code == 200:
        full_context["keep_listing"] = functools.partial(keep, template, context)
    response = templates.TemplateResponse(request, template, full_context, status_code=status_code)
    response.headers["Content-Language"] = full_context["lang"]
    response.headers.setdefault("Vary", "Accept, Accept-Language, Cookie")
    return response


def secret_page(response: Response) -> Response:
    """A page that shows a link only once: never cached, never sent as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
