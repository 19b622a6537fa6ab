"""The verdicts of `make mutate`, kept in the repository from one run to the next.

A run over the whole scope takes hours on a small machine: far longer than one sitting. mutmut
keeps each mutant's verdict in ``mutants/`` beside a hash of the function it mutates, and checks
again only the mutants of functions whose code changed; but ``mutants/`` is a scratch folder,
thrown away with the checkout. So the verdicts are kept in ``mutation/verdicts.json``:

- ``save`` writes there every verdict found in ``mutants/`` (a mutant not checked yet, or
  interrupted, is left out);
- ``restore`` writes them back into ``mutants/`` before a run, for the source files it holds no
  verdicts of yet. mutmut then checks only what is missing, and afresh every mutant of a
  function whose code changed since.

A verdict stands until its function changes: after removing or weakening tests, check again
what they killed (``make mutate MUTANTS='inbox.store*'`` runs those mutants whatever their
verdict), or delete the file to start over. Verdicts of another mutmut release are not
restored, since its hashes or its mutants may differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mutation_score import NOT_RUN
from mutation_score import module_of as module_of_mutant

VERDICTS = Path("mutation/verdicts.json")
MUTANTS = Path("mutants")
MARK = "__mutmut_"

# {source file: {function: {"hash": …, "mutants": {number: exit code}}}}
Verdicts = dict[str, dict[str, dict[str, Any]]]


def split_key(key: str) -> tuple[str, str, str]:
    """``inbox.store.x_store__mutmut_3`` → (``inbox.store``, ``x_store``, ``3``)."""
    qualified, _, number = key.rpartition(MARK)
    module = module_of_mutant(key)
    return module, qualified.removeprefix(module + "."), number


def key_of(module: str, function: str, number: str) -> str:
    return f"{module}.{function}{MARK}{number}"


def module_of(source: str) -> str:
    """``inbox/handlers/notes.py`` → ``inbox.handlers.notes`` (a package's ``__init__``: the
    package)."""
    return source.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def read_meta(meta: Path) -> dict[str, dict[str, Any]]:
    """The decided verdicts of one of mutmut's ``.meta`` files, by function."""
    data = json.loads(meta.read_text())
    hashes: dict[str, str] = data.get("hash_by_function_name", {})
    functions: dict[str, dict[str, Any]] = {}
    for key, code in data.get("exit_code_by_key", {}).items():
        if code in NOT_RUN:
            continue
        _, function, number = split_key(key)
        if function not in hashes:
            continue
        entry = functions.setdefault(function, {"hash": hashes[function], "mutants": {}})
        entry["mutants"][number] = code
    return functions


def collect(mutants: Path) -> Verdicts:
    found: Verdicts = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        functions = read_meta(meta)
        if functions:
            source = meta.relative_to(mutants).as_posix().removesuffix(".meta")
            found[source] = dict(sorted(functions.items()))
    return found


def meta_of(source: str, functions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One of mutmut's ``.meta`` files holding these verdicts."""
    module = module_of(source)
    return {
        "exit_code_by_key": {
            key_of(module, function, number): code
            for function, entry in functions.items()
            for number, code in entry["mutants"].items()
        },
        "hash_by_function_name": {function: entry["hash"] for function, entry in functions.items()},
        "type_check_error_by_key": {},
        "durations_by_key": {},
        "estimated_durations_by_key": {},
    }


def write_verdicts(path: Path, verdicts: Verdicts, mutmut: str) -> None:
    """One function per line: a run's changes read as a short diff."""
    lines = ["{", f'  "mutmut": {json.dumps(mutmut)},', '  "files": {']
    for n, (source, functions) in enumerate(sorted(verdicts.items())):
        lines.append(f"    {json.dumps(source)}: {{")
        for m, (function, entry) in enumerate(functions.items()):
            comma = "," if m < len(functions) - 1 else ""
            lines.append(
                f"      {json.dumps(function, ensure_ascii=False)}: {json.dumps(entry)}{comma}"
            )
        lines.append("    }," if n < len(verdicts) - 1 else "    }")
    lines += ["  }", "}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def save(verdicts_path: Path, mutants: Path) -> str:
    verdicts = collect(mutants)
    if not verdicts:
        raise SystemExit(f"no verdict in {mutants}/: run `make mutate` first")
    write_verdicts(verdicts_path, verdicts, version("mutmut"))
    count = sum(len(e["mutants"]) for f in verdicts.values() for e in f.values())
    return f"{count} verdicts of {len(verdicts)} files saved to {verdicts_path}"


def restore(verdicts_path: Path, mutants: Path) -> str:
    if not verdicts_path.exists():
        return f"no {verdicts_path}: every mutant will be checked"
    kept = json.loads(verdicts_path.read_text())
    if kept.get("mutmut") != version("mutmut"):
        return f"{verdicts_path} comes from mutmut {kept.get('mutmut')}: not restored"
    restored = 0
    for source, functions in kept["files"].items():
        meta = mutants / f"{source}.meta"
        if meta.exists():
            continue  # this checkout's own verdicts are at least as fresh
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps(meta_of(source, functions), indent=1))
        restored += sum(len(entry["mutants"]) for entry in functions.values())
    return f"{restored} verdicts restored from {verdicts_path}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["save", "restore"])
    parser.add_argument("--verdicts", type=Path, default=VERDICTS)
    parser.add_argument("--mutants", type=Path, default=MUTANTS)
    arguments = parser.parse_args()
    act = save if arguments.action == "save" else restore
    print(act(arguments.verdicts, arguments.mutants), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
