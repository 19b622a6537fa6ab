"""The quartier a reader narrows a city view to (``?quartier=``), and the choices offered."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from actors.city_scope import NeighbourChoice
from config.settings import Settings

QUARTIER = "quartier"


def chosen_quartier(request: Request) -> str | None:
    """The domain asked for, or None for the whole city (any text is taken: an unknown
    domain simply shows nothing)."""
    value = (request.query_params.get(QUARTIER) or "").strip().lower()[:255]
    return value or None


@dataclass(frozen=True, slots=True)
class QuartierChoice:
    domain: str
    name: str


def quartier_choices(settings: Settings, neighbours: list[NeighbourChoice]) -> list[QuartierChoice]:
    """This quartier first, then the neighbours the city views show; none when there is no
    neighbour to tell apart."""
    shown = [QuartierChoice(n.domain, n.name) for n in neighbours if n.in_city_views]
    if not shown:
        return []
    return [QuartierChoice(settings.server.domain, settings.server.name), *shown]
