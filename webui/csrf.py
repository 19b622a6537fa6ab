"""CSRF protection: a token per session, checked on every form a person submits.

Every POST handler of the web UI reads its form through :func:`read_form`, which refuses a form
whose ``csrf_token`` does not match the session's. A second line of defence,
:class:`SameOriginMiddleware`, refuses form posts that a browser says come from another site.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from federation.bodies import BodyTooLarge, capped_request
from webui.uploads import form_body_limit

CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def read_form(request: Request, *, max_files: int = 8) -> FormData:
    """The submitted form, once its CSRF token is checked (403 otherwise).

    The body is capped while it is read (413 past ``form_body_limit(max_files)``, or past the
    text fields' cap for a form that cannot carry files). NUL characters are taken out of it.
    """
    is_multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    try:
        capped = capped_request(request, form_body_limit(max_files if is_multipart else 0))
        form = await capped.form(max_files=max_files, max_fields=200)
    except BodyTooLarge as error:
        raise HTTPException(413, str(error)) from None
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if (
        not isinstance(sent, str)
        or not isinstance(expected, str)
        or not hmac.compare_digest(sent.encode(), expected.encode())
    ):
        raise HTTPException(403, "CSRF token missing or wrong")
    if any(isinstance(value, str) and "\x00" in value for _name, value in form.multi_items()):
        # No one types a NUL character, and no text we keep can hold one (PostgreSQL refuses it)
        form = FormData(
            [
                (name, value.replace("\x00", "") if isinstance(value, str) else value)
                for name, value in form.multi_items()
            ]
        )
    return form


class SameOriginMiddleware:
    """Refuse form posts that the browser marks as coming from another site."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            headers = Headers(scope=scope)
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type in FORM_TYPES:
                site = headers.get("sec-fetch-site")
                origin = headers.get("origin")
                cross_site = site == "cross-site" or (
                    origin is not None and origin != "null" and origin.rstrip("/") != self.base_url
                )
                if cross_site:
                    response = PlainTextResponse("cross-site form refused", status_code=403)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
