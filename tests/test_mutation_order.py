"""Under `make mutate`, a mutant's tests run fastest first and its waits give up sooner
(`tests/mutation_order.py`)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import cast

import pytest

from tests import support
from tests.mutation_order import fastest_first


class Named:
    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid


def items(*nodeids: str) -> list[pytest.Item]:
    return cast(list[pytest.Item], [Named(nodeid) for nodeid in nodeids])


def nodeids(tests: list[pytest.Item]) -> list[str]:
    return [test.nodeid for test in tests]


@pytest.fixture
def stats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # mutmut runs the tests from mutants/, beside the durations of its first pass
    monkeypatch.chdir(tmp_path)
    durations = {"t/slow": 9.0, "t/fast": 0.001, "t/middle": 0.5}
    (tmp_path / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": durations}))


def test_a_mutants_tests_run_fastest_first_unknown_ones_last(
    stats: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUTANT_UNDER_TEST", "inbox.receive.x_verify__mutmut_3")
    tests = items("t/slow", "t/new", "t/fast", "t/middle")
    fastest_first(tests)
    assert nodeids(tests) == ["t/fast", "t/middle", "t/slow", "t/new"]


def test_the_tests_named_after_the_mutated_module_run_first(
    stats: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own, other = "tests/inbox/test_petition_votes.py::t", "tests/inbox/test_receive.py::t"
    durations = {own: 9.0, f"{own}_quick": 0.5, other: 0.001}
    (tmp_path / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": durations}))
    monkeypatch.setenv("MUTANT_UNDER_TEST", "inbox.votes.x__plain_vote__mutmut_3")
    tests = items(other, own, f"{own}_quick")
    fastest_first(tests)
    assert nodeids(tests) == [f"{own}_quick", own, other]


@pytest.mark.parametrize("under_test", [None, "", "stats", "fail"])
def test_other_runs_keep_their_order(
    stats: None, monkeypatch: pytest.MonkeyPatch, under_test: str | None
) -> None:
    if under_test is None:
        monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    else:
        monkeypatch.setenv("MUTANT_UNDER_TEST", under_test)
    tests = items("t/slow", "t/fast")
    fastest_first(tests)
    assert nodeids(tests) == ["t/slow", "t/fast"]


def test_without_durations_the_order_stays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MUTANT_UNDER_TEST", "inbox.receive.x_verify__mutmut_3")
    tests = items("t/slow", "t/fast")
    fastest_first(tests)
    assert nodeids(tests) == ["t/slow", "t/fast"]


async def test_a_wait_gives_up_sooner_against_a_mutant(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a condition that never comes true, the suite's bound an hour, a mutant's a moment
    monkeypatch.setattr(support, "SETTLE_TIMEOUT", 3600.0)
    monkeypatch.setattr(support, "MUTANT_SETTLE_TIMEOUT", 0.1)

    async def never() -> bool:
        return False

    # When a mutant is under test, the wait gives up at the mutant's bound, well within ours
    monkeypatch.setenv("MUTANT_UNDER_TEST", "inbox.receive.x_verify__mutmut_3")
    async with asyncio.timeout(30):
        with pytest.raises(AssertionError, match="never true: the mutant's stall"):
            await support.wait_until(never, "the mutant's stall")
