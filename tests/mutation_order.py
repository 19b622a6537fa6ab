"""Under `make mutate`, a mutant's tests run fastest first.

mutmut runs the tests that reach a mutant with ``-x`` and passes them in no set order: a mutant
the unit tests kill in milliseconds waited for whatever slow test came first. It keeps each
test's duration from its first pass in ``mutmut-stats.json``, beside the tests it runs (it runs
them from ``mutants/``), and names the mutant under test in ``MUTANT_UNDER_TEST``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

STATS = Path("mutmut-stats.json")
MUTANT_MARK = "__mutmut_"


def fastest_first(items: list[pytest.Item]) -> None:
    """Sort ``items`` by their duration in mutmut's first pass, when a mutant is under test."""
    if MUTANT_MARK not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    try:
        durations = json.loads(STATS.read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
