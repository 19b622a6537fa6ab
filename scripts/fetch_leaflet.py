"""Fetch Leaflet into webui/static/vendor/leaflet/ (served by us, never committed).

Downloads the npm tarball of a pinned version, checks its published sha512 integrity, and
extracts the distribution files and the licence. The map page works without them (a list of
places with OpenStreetMap links), so `make install` goes on when this fails: it prints one line
and exits with 0 unless ``--strict`` is given.

Usage: python scripts/fetch_leaflet.py [--strict] [--force]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

VERSION = "1.9.4"
TARBALL_URL = f"https://registry.npmjs.org/leaflet/-/leaflet-{VERSION}.tgz"
# `npm view leaflet@1.9.4 dist.integrity`
INTEGRITY = "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="
MAX_BYTES = 20 * 1024 * 1024
TIMEOUT_S = 30
ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "webui" / "static" / "vendor" / "leaflet"
WANTED = {
    "package/dist/leaflet.js": "leaflet.js",
    "package/dist/leaflet.css": "leaflet.css",
    "package/LICENSE": "LICENSE",
}
IMAGES_PREFIX = "package/dist/images/"


class FetchError(Exception):
    """The tarball could not be had or is not the published one."""


def download(url: str = TARBALL_URL) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 - fixed https URL
            body: bytes = response.read(MAX_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise FetchError(f"cannot download {url}: {error}") from None
    if len(body) > MAX_BYTES:
        raise FetchError(f"{url} is larger than {MAX_BYTES} bytes")
    return body


def verify(body: bytes, integrity: str = INTEGRITY) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise FetchError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(body).digest()).decode()
    if actual != expected:
        raise FetchError("the tarball does not match its published sha512 integrity")


def extract(body: bytes, target: Path = TARGET) -> list[Path]:
    """Write the wanted members (regular files only, flat names) into ``target``."""
    written: list[Path] = []
    (target / "images").mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            if member.name in WANTED:
                destination = target / WANTED[member.name]
            elif (
                member.name.startswith(IMAGES_PREFIX)
                and "/" not in member.name[len(IMAGES_PREFIX) :]
            ):
                destination = target / "images" / Path(member.name).name
            else:
                continue
            source = archive.extractfile(member)
            if source is None:
                continue
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
        print(f"Leaflet {VERSION} already in {TARGET.relative_to(ROOT)}")
        return 0
    try:
        body = download()
        verify(body)
        written = extract(body)
    except FetchError as error:
        print(f"Leaflet not installed ({error}); the map page will show lists only.")
        return 1 if args.strict else 0
    print(f"Leaflet {VERSION} installed in {TARGET.relative_to(ROOT)} ({len(written)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
