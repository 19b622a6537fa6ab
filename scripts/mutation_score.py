"""The mutation score per module, from the results `mutmut run` left in mutants/.

Killed (a test failed, the mutant timed out, or mypy refused it, as `make check` would) over
checked; a mutant no test reaches counts as survived. Mutants not checked yet (a run narrowed to
some modules) are left out. The table says how many mypy caught before any test ran, and the
JSON line gives the score by the tests alone beside it. Exits 1 when a module is under the goal
given with --goal (a percentage).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

KILLED_BY_TESTS = {1, 3, 36, 24, -24, 152, 255}  # a failing test, a pytest error, or a timeout
CAUGHT_BY_TYPES = 37  # mypy refused the mutant (scripts/mutant_types.py)
NOT_RUN = {None, 2, 34}  # not checked yet, interrupted, skipped


def module_of(mutant: str) -> str:
    """``inbox.receive.x_verify__mutmut_3`` → ``inbox.receive``."""
    return mutant.split(".x", 1)[0] if ".x" in mutant else mutant.rsplit(".", 1)[0]


def scores(root: Path) -> dict[str, Counter[str]]:
    by_module: dict[str, Counter[str]] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        for mutant, code in data.get("exit_code_by_key", {}).items():
            if code in NOT_RUN:
                continue
            counts = by_module.setdefault(module_of(mutant), Counter())
            if code == CAUGHT_BY_TYPES:
                counts["typed"] += 1
            counts["killed" if code in KILLED_BY_TESTS | {CAUGHT_BY_TYPES} else "survived"] += 1
    return by_module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--goal", type=float, default=None)
    arguments = parser.parse_args()
    by_module = scores(arguments.mutants)
    if not by_module:
        print("no mutant checked yet: run `make mutate` first", file=sys.stderr)
        return 1
    print(f"{'module':40} {'killed':>7} {'by mypy':>8} {'survived':>9} {'score':>7}")
    summary: dict[str, float] = {}
    for module, counts in sorted(by_module.items()):
        checked = counts["killed"] + counts["survived"]
        summary[module] = round(100 * counts["killed"] / checked, 1)
        print(f"{module:40} {counts['killed']:>7} {counts['typed']:>8} {counts['survived']:>9} "
              f"{summary[module]:>6}%")  # fmt: skip
    killed = sum(c["killed"] for c in by_module.values())
    checked = sum(c["killed"] + c["survived"] for c in by_module.values())
    typed = sum(c["typed"] for c in by_module.values())
    total = round(100 * killed / checked, 1)
    by_tests = round(100 * (killed - typed) / (checked - typed), 1) if checked > typed else 0.0
    print(f"{'all':40} {killed:>7} {typed:>8} {checked - killed:>9} {total:>6}%")
    print(json.dumps({"mutation_score": total, "killed": killed, "caught_by_mypy": typed,
                      "checked": checked, "score_of_the_tests_alone": by_tests,
                      **summary}))  # fmt: skip
    below = [m for m, s in summary.items() if arguments.goal is not None and s < arguments.goal]
    if below:
        print(f"under {arguments.goal}%: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
