"""Type-check the mutants: mutmut runs this from mutants/ before any test (its
``type_check_command``), and a mutant mypy refuses counts as caught, since it could not pass
`make check` either.

mutmut copies only the packages it mutates into mutants/. The others are reached through a
folder of links beside them, so that mypy reads the mutated copies and nothing else under their
names. The last argument names the checker for mutmut, which reads mypy's JSON report.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

from mypy import api

PACKAGES: list[str] = tomllib.loads(Path("pyproject.toml").read_text())["tool"]["mypy"]["packages"]
"""The packages `make check` type-checks (mutmut copies pyproject.toml into mutants/)."""


def main() -> int:
    mutants = Path.cwd()
    project = mutants.parent
    others = mutants / ".unmutated"
    others.mkdir(exist_ok=True)
    mutated = [name for name in PACKAGES if (mutants / name).is_dir()]
    for name in PACKAGES:
        link = others / name
        if name not in mutated and not link.exists():
            link.symlink_to(project / name)
    os.environ["MYPYPATH"] = str(others)
    packages = [argument for name in mutated for argument in ("-p", name)]
    # mutmut's copies of a method repeat its annotated attributes, which mypy calls redefined
    report, errors, status = api.run(["--output", "json", "--no-warn-unused-ignores",
                                      "--disable-error-code", "no-redef", *packages])  # fmt: skip
    sys.stdout.write(report)
    sys.stderr.write(errors)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
