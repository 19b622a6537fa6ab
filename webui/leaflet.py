"""Leaflet, served from our own static files when ``scripts/fetch_leaflet.py`` installed it.

The map page and the place picker use it only when it is there; without it they stay usable.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request

LEAFLET_DIR = Path(__file__).resolve().parent / "static" / "vendor" / "leaflet"
LEAFLET_FILES = ("leaflet.js", "leaflet.css")


def leaflet_files_present() -> bool:
    return all((LEAFLET_DIR / name).is_file() for name in LEAFLET_FILES)


def leaflet_installed(request: Request) -> bool:
    """Whether Leaflet is in our static files (looked at once per application)."""
    state = request.app.state
    found: bool | None = getattr(state, "leaflet_installed", None)
    if found is None:
        found = leaflet_files_present()
        state.leaflet_installed = found
    return found
