"""The neighbourhood's look: an accent colour (a preset or the admin's own) and a logo.

The layout's colours are CSS custom properties (``webui/static/quartiers.css``); a chosen
accent overrides three of them in the page's head. An accent is accepted only if text keeps a
contrast of 4.5:1 (WCAG AA) wherever the accent is used: white text on it (buttons) and the
accent as text on the page, on cards and on its own pale tint.

The look is read from the database (:mod:`actors.look`) and kept by each server process for
:data:`CACHE_SECONDS`, so a page costs no query for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from actors.look import Look, load_look
from instance.runtime import instance_of

CACHE_SECONDS = 15.0
SKIPPED_PREFIXES = ("/static/", "/media/", "/inbox", "/.well-known/", "/nodeinfo", "/actor")


@dataclass
class _Cached:
    look: Look
    until: float


_cache: dict[int, _Cached] = {}


def remember(app: object, look: Look) -> None:
    """Keep ``look`` for this process (after a change, so the admin sees it at once)."""
    _cache[id(app)] = _Cached(look, time.monotonic() + CACHE_SECONDS)


def current_look(request: Request) -> Look:
    cached = _cache.get(id(request.app))
    return cached.look if cached is not None else Look()


class LookMiddleware:
    """Makes sure this process knows the look (at most :data:`CACHE_SECONDS` old) before a page
    renders."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope["path"].startswith(SKIPPED_PREFIXES)
        ):
            request = Request(scope)
            cached = _cache.get(id(request.app))
            if cached is None or cached.until < time.monotonic():
                async with instance_of(request).database.session() as session:
                    remember(request.app, await load_look(session))
        await self.app(scope, receive, send)
