"""The neighbourhood's look: an accent colour (a preset or the admin's own) and a logo.

The layout's colours are CSS custom properties (``webui/static/quartiers.css``); a chosen
accent overrides three of them in the page's head. An accent is accepted only if text keeps a
contrast of 4.5:1 (WCAG AA) wherever the accent is used: white text on it (buttons) and the
accent as text on the page, on cards and on its own pale tint.

The look is stored in the database (``instance_looks``, see :mod:`storage.models.look`) and
kept by each server process for :data:`CACHE_SECONDS`, so a page costs no query for it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from commons.media import media_path
from instance.runtime import instance_of
from storage.models import InstanceLook, Media

LOOK_ID = 1
CACHE_SECONDS = 15.0
MIN_CONTRAST = 4.5
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
WHITE = "#ffffff"
PAPER = "#fbf7f0"
"""The page's background (``--paper`` in the style sheet)."""
SKIPPED_PREFIXES = ("/static/", "/media/", "/inbox", "/.well-known/", "/nodeinfo", "/actor")

# Warm first: terracotta is the default, as brick and tiles are the colour of the old quarters.
PRESETS: dict[str, str] = {
    "#a3401c": "Terre cuite",
    "#1f6f5c": "Vert du parc",
    "#1d5a8c": "Bleu du lac",
    "#7a3b69": "Prune",
    "#4a5360": "Ardoise",
}
DEFAULT_ACCENT = "#a3401c"


def _channel(value: int) -> float:
    scaled = value / 255
    return scaled / 12.92 if scaled <= 0.03928 else ((scaled + 0.055) / 1.055) ** 2.4


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def luminance(colour: str) -> float:
    red, green, blue = (_channel(part) for part in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def mix(colour: str, other: str, share: float) -> str:
    """``share`` of ``colour`` over ``other``."""
    parts = zip(_rgb(colour), _rgb(other), strict=True)
    return "#" + "".join(f"{round(a * share + b * (1 - share)):02x}" for a, b in parts)


@dataclass(frozen=True)
class Look:
    accent: str = DEFAULT_ACCENT
    logo_url: str | None = None
    logo_alt: str = ""

    @property
    def accent_soft(self) -> str:
        """A pale tint of the accent, for panels and highlighted days."""
        return mix(self.accent, WHITE, 0.12)

    @property
    def accent_hover(self) -> str:
        return mix(self.accent, "#000000", 0.75)

    @property
    def is_default(self) -> bool:
        return self.accent == DEFAULT_ACCENT


def accent_problem(colour: str) -> str | None:
    """Why ``colour`` cannot be the accent (a code for :func:`accent_message`), or None."""
    if not HEX_COLOUR.match(colour):
        return "not_a_colour"
    colour = colour.lower()
    soft = mix(colour, WHITE, 0.12)
    if min(contrast(colour, background) for background in (WHITE, PAPER, soft)) < MIN_CONTRAST:
        return "low_contrast"
    return None


def worst_contrast(colour: str) -> float:
    soft = mix(colour, WHITE, 0.12)
    return min(contrast(colour, background) for background in (WHITE, PAPER, soft))


async def load_look(session: AsyncSession) -> Look:
    row = await session.get(InstanceLook, LOOK_ID)
    if row is None:
        return Look()
    logo = await session.get(Media, row.logo_media_id) if row.logo_media_id else None
    if logo is None:
        return Look(accent=row.accent)
    return Look(accent=row.accent, logo_url=media_path(logo), logo_alt=logo.alt_text)


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
