"""`make mutate` keeps its verdicts in the repository (`scripts/mutation_verdicts.py`): saved
from mutmut's scratch folder after a run, written back into it before the next one."""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from mutation_verdicts import main, restore, save

KILLED, CAUGHT_BY_TYPES, SURVIVED, NO_TESTS, INTERRUPTED = 1, 37, 0, 33, 2


def write_meta(mutants: Path, source: str, codes: dict[str, int | None],
               hashes: dict[str, str]) -> None:  # fmt: skip
    meta = mutants / f"{source}.meta"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({
        "exit_code_by_key": codes, "hash_by_function_name": hashes,
        "type_check_error_by_key": {}, "durations_by_key": {key: 0.5 for key in codes},
        "estimated_durations_by_key": {},
    }))  # fmt: skip


def read_meta(mutants: Path, source: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((mutants / f"{source}.meta").read_text())
    return data


@pytest.fixture
def a_run(tmp_path: Path) -> Path:
    """mutmut's folder after a run, interrupted in a method of the package's ``__init__``."""
    mutants = tmp_path / "mutants"
    write_meta(mutants, "inbox/store.py", {
        "inbox.store.x_store__mutmut_1": KILLED,
        "inbox.store.x_store__mutmut_2": SURVIVED,
        "inbox.store.x__insert__mutmut_1": CAUGHT_BY_TYPES,
        "inbox.store.x__insert__mutmut_2": None,
    }, {"x_store": "aaaa", "x__insert": "bbbb"})  # fmt: skip
    write_meta(mutants, "federation/signatures/__init__.py", {
        "federation.signatures.xǁSignerǁsign__mutmut_1": NO_TESTS,
        "federation.signatures.xǁSignerǁsign__mutmut_2": INTERRUPTED,
    }, {"xǁSignerǁsign": "cccc"})  # fmt: skip
    return mutants


def test_the_decided_verdicts_come_back_as_mutmut_wrote_them(a_run: Path, tmp_path: Path) -> None:
    verdicts, later = tmp_path / "mutation" / "verdicts.json", tmp_path / "later"

    assert save(verdicts, a_run) == "4 verdicts of 2 files saved to " + str(verdicts)
    assert restore(verdicts, later) == "4 verdicts restored from " + str(verdicts)

    store = read_meta(later, "inbox/store.py")
    assert store["exit_code_by_key"] == {
        "inbox.store.x__insert__mutmut_1": CAUGHT_BY_TYPES,
        "inbox.store.x_store__mutmut_1": KILLED,
        "inbox.store.x_store__mutmut_2": SURVIVED,
    }
    assert store["hash_by_function_name"] == {"x__insert": "bbbb", "x_store": "aaaa"}
    signatures = read_meta(later, "federation/signatures/__init__.py")
    assert signatures["exit_code_by_key"] == {
        "federation.signatures.xǁSignerǁsign__mutmut_1": NO_TESTS
    }
    assert signatures["hash_by_function_name"] == {"xǁSignerǁsign": "cccc"}
    assert set(store) == {"exit_code_by_key", "hash_by_function_name", "type_check_error_by_key",
                          "durations_by_key", "estimated_durations_by_key"}  # fmt: skip


def test_the_file_reads_one_function_a_line(a_run: Path, tmp_path: Path) -> None:
    verdicts = tmp_path / "verdicts.json"
    save(verdicts, a_run)
    lines = verdicts.read_text().splitlines()
    assert '      "xǁSignerǁsign": {"hash": "cccc", "mutants": {"1": 33}}' in lines
    assert json.loads(verdicts.read_text())["mutmut"] == version("mutmut")


def test_a_source_file_with_verdicts_of_its_own_keeps_them(a_run: Path, tmp_path: Path) -> None:
    verdicts = tmp_path / "verdicts.json"
    save(verdicts, a_run)
    write_meta(
        a_run, "inbox/store.py", {"inbox.store.x_store__mutmut_1": SURVIVED}, {"x_store": "dddd"}
    )
    (a_run / "federation/signatures/__init__.py.meta").unlink()

    assert restore(verdicts, a_run) == "1 verdicts restored from " + str(verdicts)
    assert read_meta(a_run, "inbox/store.py")["hash_by_function_name"] == {"x_store": "dddd"}


def test_verdicts_of_another_mutmut_release_are_not_restored(a_run: Path, tmp_path: Path) -> None:
    verdicts, later = tmp_path / "verdicts.json", tmp_path / "later"
    save(verdicts, a_run)
    kept = json.loads(verdicts.read_text())
    verdicts.write_text(json.dumps({**kept, "mutmut": "2.0.0"}))

    assert restore(verdicts, later) == f"{verdicts} comes from mutmut 2.0.0: not restored"
    assert not later.exists()


def test_nothing_to_save_or_restore_is_said_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["mutation_verdicts.py", "restore"])
    assert main() == 0
    assert capsys.readouterr().err == ("no mutation/verdicts.json: every mutant will be checked\n")
    monkeypatch.setattr(sys, "argv", ["mutation_verdicts.py", "save"])
    with pytest.raises(SystemExit, match=r"^no verdict in mutants/: run `make mutate` first$"):
        main()
