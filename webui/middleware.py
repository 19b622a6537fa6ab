"""Per-request language: the ``lang`` cookie, else ``Accept-Language``, else the instance default."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from webui import i18n


class LanguageMiddleware:
    def __init__(self, app: ASGIApp, default_language: str) -> None:
        self.app = app
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        language = _cookie_language(headers.get("cookie", "")) or i18n.negotiate_language(
            headers.get("accept-language"), self.default_language
        )
        # What the layout needs to know of the language: its direction and the picker's choices.
        state = scope.setdefault("state", {})
        state["text_direction"] = i18n.text_direction(language)
        state["language_choices"] = i18n.language_choices()
        token = i18n.current_locale.set(language)
        try:
            await self.app(scope, receive, send)
        finally:
            i18n.current_locale.reset(token)


def _cookie_language(cookie_header: str) -> str | None:
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "lang" and i18n.is_available(value):
            return value
    return None
