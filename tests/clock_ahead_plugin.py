"""A pytest plugin that runs the whole session with the clock moved ahead.

``python -m pytest -p tests.clock_ahead_plugin`` with ``QUARTIERS_TEST_CLOCK_AHEAD_DAYS=365``
starts time-machine's travel before any test module is imported, so dates that tests compute
when their module loads ("the Saturday of next week") are taken from the moved clock too. The
clock keeps ticking from there. Python's clocks move (``datetime.now``, ``time.time``); the
monotonic clock that asyncio's timers use does not, nor does a database server's own clock.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

AHEAD_ENV = "QUARTIERS_TEST_CLOCK_AHEAD_DAYS"

_travel: list[time_machine.travel] = []


def pytest_configure(config: pytest.Config) -> None:
    days = os.environ.get(AHEAD_ENV)
    if not days:
        return
    travel = time_machine.travel(datetime.now(UTC) + timedelta(days=int(days)), tick=True)
    travel.start()
    _travel.append(travel)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _travel:
        _travel.pop().stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    if not _travel:
        return None
    return f"clock moved ahead: now is {datetime.now(UTC).date().isoformat()}"
