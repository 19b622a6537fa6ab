"""The neighbourhood's look: an accent colour (a preset or the admin's own) and a logo.

An accent is accepted only if text keeps a contrast of 4.5:1 (WCAG AA) wherever the accent is
used: white text on it (buttons) and the accent as text on the page, on cards and on its own pale
tint. The look is one row of ``instance_looks`` (see :mod:`storage.models.look`): the admin
changes it from a page, every server process sees it, and backups carry it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from actors.services import ensure_instance_actor
from commons.media import CleanImage, media_path, store_image
from config.settings import Settings
from storage.models import InstanceLook, Media

LOOK_ID = 1
MIN_CONTRAST = 4.5
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
WHITE = "#ffffff"
PAPER = "#fbf7f0"
"""The page's background (``--paper`` in the style sheet)."""

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


async def save_look(
    session: AsyncSession,
    settings: Settings,
    *,
    accent: str,
    logo: CleanImage | None,
    logo_alt: str,
    remove_logo: bool,
) -> Look:
    """Keep the accent (already checked with :func:`accent_problem`) and the logo: a new one
    (owned by the instance actor), removed, or the same with its description changed."""
    row = await session.get(InstanceLook, LOOK_ID)
    if row is None:
        row = InstanceLook(id=LOOK_ID, accent=accent)
        session.add(row)
    row.accent = accent
    if logo is not None:
        owner = await ensure_instance_actor(session, settings)
        row.logo_media_id = (await store_image(session, owner, logo, logo_alt)).id
    elif remove_logo:
        row.logo_media_id = None
    elif row.logo_media_id is not None:
        media = await session.get(Media, row.logo_media_id)
        if media is not None:
            media.alt_text = logo_alt
    await session.flush()
    return await load_look(session)
