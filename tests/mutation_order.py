"""Under `make mutate`, a mutant's tests run fastest first (those named after its module before
the others), and a wait gives up sooner.

mutmut runs the tests that reach a mutant with ``-x`` and passes them in no set order: a mutant
the unit tests kill in milliseconds waited for whatever slow test came first. It keeps each
test's duration from its first pass in ``mutmut-stats.json``, beside the tests it runs (it runs
them from ``mutants/``), and names the mutant under test in ``MUTANT_UNDER_TEST``. A mutant
that stalls the work (a claim that never comes, an outcome never written) was killed only by
the suite's one-minute bound on waiting.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

STATS = Path("mutmut-stats.json")
MUTANT_MARK = "__mutmut_"


def under_mutation() -> bool:
    """Whether these tests run against a mutant (not mutmut's first pass or its checks)."""
    return MUTANT_MARK in os.environ.get("MUTANT_UNDER_TEST", "")


def fastest_first(items: list[pytest.Item]) -> None:
    """Sort ``items`` by their duration in mutmut's first pass, when a mutant is under test; the
    tests of a file named after the mutated module (``test_petition_votes.py`` for
    ``inbox.votes``) first, as they are the likeliest to notice it."""
    if not under_mutation():
        return
    try:
        durations = json.loads(STATS.read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    module = mutated_module(os.environ["MUTANT_UNDER_TEST"])
    items.sort(
        key=lambda item: (
            module not in Path(item.nodeid.split("::", 1)[0]).stem,
            durations.get(item.nodeid, float("inf")),
        )
    )


def mutated_module(mutant: str) -> str:
    """``inbox.votes.x__plain_vote__mutmut_3`` → ``votes``."""
    return mutant.split(".x", 1)[0].rsplit(".", 1)[-1]
