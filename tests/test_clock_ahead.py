"""The date-dependent tests still pass a year from now.

A sample of the tests that compute dates (series of next week, dates of a series, their pages,
fixed anchors in the past) runs in a pytest of its own whose clock is moved a year ahead by
time-machine (see ``tests/clock_ahead_plugin.py``). A test that only passes until some day
fails here as soon as that day is less than a year away.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.clock_ahead_plugin import AHEAD_ENV

ROOT = Path(__file__).resolve().parents[1]
AHEAD = timedelta(days=365)
SAMPLE = [
    # pages of a series of next week, in both languages
    "tests/webui/test_events.py::test_create_a_weekly_event_with_its_place",
    "tests/webui/test_languages.py::test_an_english_page_in_english_forms",
    "tests/webui/test_languages.py::test_a_french_page_in_french_forms",
    # places and waiting lists per date of a series of next week
    "tests/commons/events/test_date_rsvps.py",
    # fixed Saturdays long past: dates written, and taken from other servers
    "tests/commons/events/test_occurrences.py::test_a_bounded_series_has_every_date_but_its_exceptions",
    "tests/commons/events/test_occurrences.py::test_an_open_ended_series_is_written_up_to_the_horizon",
    "tests/inbox/test_event_occurrences.py",
]
# Two hours, as a guard against a hung child only: the sample takes a few minutes.
HANG_GUARD_SECONDS = 7200


def test_date_dependent_tests_pass_a_year_ahead() -> None:
    # Given the sample, run by a pytest whose clock is a year ahead (SQLite only, to bound it)
    environment = {**os.environ, AHEAD_ENV: str(AHEAD.days)}
    expected_day = (datetime.now(UTC) + AHEAD).date()

    # When it runs
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.clock_ahead_plugin", "-rfEs",
         "-k", "not postgresql", *SAMPLE],
        cwd=ROOT, env=environ_without_pytest(environment), capture_output=True, text=True,
        timeout=HANG_GUARD_SECONDS, check=False,
    )  # fmt: skip
    output = run.stdout + run.stderr

    # Then the clock was really moved, and every test of the sample ran and passed
    moved = re.search(r"clock moved ahead: now is (\d{4}-\d{2}-\d{2})", output)
    assert moved is not None, output[-3000:]
    assert abs(datetime.fromisoformat(moved[1]).date() - expected_day) <= timedelta(days=1)
    assert run.returncode == 0, output[-6000:]
    summary = output.strip().splitlines()[-1]
    assert re.fullmatch(r"=+ \d+ passed, \d+ deselected in .* =+", summary), summary


def environ_without_pytest(environment: dict[str, str]) -> dict[str, str]:
    """The child's environment, without what this pytest set for itself."""
    return {k: v for k, v in environment.items() if k != "PYTEST_CURRENT_TEST"}


def test_a_test_that_expires_within_the_year_fails_under_the_moved_clock(tmp_path: Path) -> None:
    # Given a test that passes today but not in a year (a date bomb, written on purpose)
    today = datetime.now(UTC).date()
    bomb = tmp_path / "test_bomb.py"
    bomb.write_text(
        "from datetime import UTC, date, datetime\n\n\n"
        "def test_before_the_deadline() -> None:\n"
        f"    assert datetime.now(UTC).date() < date.fromisoformat({(today + timedelta(days=30)).isoformat()!r})\n",
        encoding="utf-8",
    )
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", str(bomb)],
        cwd=ROOT, env=environ_without_pytest(dict(os.environ)), capture_output=True, text=True,
        timeout=HANG_GUARD_SECONDS, check=False,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stdout[-2000:]

    # When it runs under the clock moved a year ahead
    moved = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.clock_ahead_plugin", str(bomb)],
        cwd=ROOT, env=environ_without_pytest({**os.environ, AHEAD_ENV: str(AHEAD.days)}),
        capture_output=True, text=True, timeout=HANG_GUARD_SECONDS, check=False,
    )  # fmt: skip

    # Then it fails, and the run says so
    assert moved.returncode == 1, moved.stdout[-2000:]
    assert "1 failed" in moved.stdout
