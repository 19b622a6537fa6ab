"""Fetch axe-core into tests/browser/vendor/axe-core/ for the accessibility run (never committed).

Downloads the npm tarball of a pinned version, checks its published sha512 integrity, and
extracts ``axe.min.js`` and the licence. Only the browser tests use it (``make install-test``):
without it they skip, saying why; CI names it a required part (``tests/required_parts.py``) and
calls this script with ``--strict``.

Usage: python scripts/fetch_axe.py [--strict] [--force]
"""

from __future__ import annotations

import sys

from npm_tarball import ROOT, NpmTarball, main

AXE = NpmTarball(
    label="axe-core",
    name="axe-core",
    version="4.14.1",
    integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
    target=ROOT / "tests" / "browser" / "vendor" / "axe-core",
    wanted={"package/axe.min.js": "axe.min.js", "package/LICENSE": "LICENSE"},
)

if __name__ == "__main__":
    sys.exit(main(AXE, __doc__.splitlines()[0], "the accessibility run will skip.", sys.argv[1:]))
