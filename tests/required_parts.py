"""What a run must have, so that a green run cannot hide a third of the suite.

Without PostgreSQL, Chromium, Leaflet, axe-core or the shared test data (``../shared``), the
tests that need them skip, saying why: that suits a resident trying ``make test`` on a laptop. CI sets
``QUARTIERS_TEST_REQUIRE`` to the parts it must have (``postgresql,chromium,leaflet,axe,shared``,
or ``all``): the run then stops at once when one is missing, and fails if any test skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

REQUIRE_ENV = "QUARTIERS_TEST_REQUIRE"
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
POSTGRES_URL_ENV = "QUARTIERS_TEST_DATABASE_URL"


def _chromium() -> str | None:
    if not (os.access("/usr/bin/chromium", os.X_OK) or shutil.which("chromium")):
        return "Chromium is not installed (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make test installs it)"
    return None


def _leaflet() -> str | None:
    if not (ROOT / "webui" / "static" / "vendor" / "leaflet" / "leaflet.js").is_file():
        return "Leaflet is not installed (python scripts/fetch_leaflet.py --strict)"
    return None


def _axe() -> str | None:
    if not (ROOT / "tests" / "browser" / "vendor" / "axe-core" / "axe.min.js").is_file():
        return "axe-core is not installed (python scripts/fetch_axe.py --strict)"
    return None


def _shared() -> str | None:
    if not (SHARED / "fixtures").is_dir() or not (SHARED / "vectors").is_dir():
        return f"the shared test data is not at {SHARED}"
    return None


def _postgresql() -> str | None:
    if not os.environ.get(POSTGRES_URL_ENV):
        return f"{POSTGRES_URL_ENV} is not set (postgresql+asyncpg://postgres@127.0.0.1/test)"
    return None


PARTS: dict[str, Callable[[], str | None]] = {
    "postgresql": _postgresql,
    "chromium": _chromium,
    "leaflet": _leaflet,
    "axe": _axe,
    "shared": _shared,
}


def required_parts() -> list[str]:
    """The parts named by ``QUARTIERS_TEST_REQUIRE`` (``all`` names every part)."""
    named = [part.strip() for part in os.environ.get(REQUIRE_ENV, "").split(",") if part.strip()]
    if "all" in named:
        return list(PARTS)
    unknown = [part for part in named if part not in PARTS]
    if unknown:
        raise ValueError(f"{REQUIRE_ENV}: unknown part(s) {unknown}; known: {sorted(PARTS)}")
    return named


def missing_parts() -> list[str]:
    """One line for each required part that this machine lacks."""
    return [f"{part}: {problem}" for part in required_parts() if (problem := PARTS[part]())]
