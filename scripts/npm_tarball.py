"""Fetch files of a pinned npm package into the tree, checked against its published integrity.

What `scripts/fetch_leaflet.py` and `scripts/fetch_axe.py` share: download the tarball from the
npm registry (bounded in size and time), check its sha512 ``dist.integrity``, extract the wanted
regular files under flat names, and say in one line what happened.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 20 * 1024 * 1024
TIMEOUT_S = 30
ROOT = Path(__file__).resolve().parent.parent


class FetchError(Exception):
    """The tarball could not be had or is not the published one."""


@dataclass(frozen=True)
class NpmTarball:
    label: str  # as people call it: "Leaflet"
    name: str  # on the registry: "leaflet"
    version: str
    integrity: str  # `npm view <name>@<version> dist.integrity`
    target: Path
    wanted: dict[str, str]  # member of the tarball → file name in ``target``
    # Folders of the tarball copied whole (flat) into a subfolder of ``target``.
    folders: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://registry.npmjs.org/{self.name}/-/{self.name}-{self.version}.tgz"

    def destination(self, member: str) -> Path | None:
        if member in self.wanted:
            return self.target / self.wanted[member]
        for prefix, folder in self.folders.items():
            if member.startswith(prefix) and "/" not in member[len(prefix) :]:
                return self.target / folder / Path(member).name
        return None


def download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 - fixed https URL
            body: bytes = response.read(MAX_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise FetchError(f"cannot download {url}: {error}") from None
    if len(body) > MAX_BYTES:
        raise FetchError(f"{url} is larger than {MAX_BYTES} bytes")
    return body


def verify(body: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise FetchError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(body).digest()).decode()
    if actual != expected:
        raise FetchError("the tarball does not match its published sha512 integrity")


def extract(package: NpmTarball, body: bytes) -> list[Path]:
    """Write the wanted members (regular files only, flat names) into the package's target."""
    written: list[Path] = []
    package.target.mkdir(parents=True, exist_ok=True)
    for folder in package.folders.values():
        (package.target / folder).mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        for member in archive.getmembers():
            destination = package.destination(member.name) if member.isfile() else None
            source = archive.extractfile(member) if destination is not None else None
            if destination is None or source is None:
                continue
            destination.write_bytes(source.read())
            written.append(destination)
    missing = {name for name in package.wanted.values() if not (package.target / name).is_file()}
    if missing:
        raise FetchError(f"the tarball lacks {', '.join(sorted(missing))}")
    return written


def main(
    package: NpmTarball,
    description: str,
    without_it: str,
    argv: list[str] | None = None,
    fetch: Callable[[str], bytes] = download,
) -> int:
    """The command line of a fetch script; ``without_it`` says what goes on when it fails."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the fetch fails")
    parser.add_argument("--force", action="store_true", help="fetch even if already present")
    args = parser.parse_args(argv)
    where = package.target.relative_to(ROOT)
    if not args.force and all((package.target / n).is_file() for n in package.wanted.values()):
        print(f"{package.label} {package.version} already in {where}")
        return 0
    try:
        body = fetch(package.url)
        verify(body, package.integrity)
        written = extract(package, body)
    except FetchError as error:
        print(f"{package.label} not installed ({error}); {without_it}")
        return 1 if args.strict else 0
    print(f"{package.label} {package.version} installed in {where} ({len(written)} files)")
    return 0
