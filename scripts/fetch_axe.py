"""Fetch axe-core into tests/browser/vendor/axe-core/ for the accessibility run (never committed).

Downloads the npm tarball of a pinned version, checks its published sha512 integrity, and
extracts ``axe.min.js`` and the licence. Only the browser tests use it (``make install-test``):
without it they skip, saying why; CI names it a required part (``tests/required_parts.py``) and
calls this script with ``--strict``.

Usage: python scripts/fetch_axe.py [--strict] [--force]
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
from pathlib import Path

from fetch_leaflet import FetchError, download, verify

VERSION = "4.14.1"
TARBALL_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
# `npm view axe-core@4.14.1 dist.integrity`
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "tests" / "browser" / "vendor" / "axe-core"
WANTED = {
    "package/axe.min.js": "axe.min.js",
    "package/LICENSE": "LICENSE",
}


def extract(body: bytes, target: Path = TARGET) -> list[Path]:
    """Write the wanted members (regular files only) into ``target``."""
    written: list[Path] = []
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile() or member.name not in WANTED:
                continue
            source = archive.extractfile(member)
            if source is None:
                continue
            destination = target / WANTED[member.name]
            destination.write_bytes(source.read())
            written.append(destination)
    missing = {name for name in WANTED.values() if not (target / name).is_file()}
    if missing:
        raise FetchError(f"the tarball lacks {', '.join(sorted(missing))}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when the fetch fails")
    parser.add_argument("--force", action="store_true", help="fetch even if already present")
    args = parser.parse_args(argv)
    if not args.force and all((TARGET / name).is_file() for name in WANTED.values()):
        print(f"axe-core {VERSION} already in {TARGET.relative_to(ROOT)}")
        return 0
    try:
        body = download(TARBALL_URL)
        verify(body, INTEGRITY)
        written = extract(body)
    except FetchError as error:
        print(f"axe-core not installed ({error}); the accessibility run will skip.")
        return 1 if args.strict else 0
    print(f"axe-core {VERSION} installed in {TARGET.relative_to(ROOT)} ({len(written)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
