"""The fetch of pinned npm tarballs (Leaflet for the map, axe-core for the accessibility run)."""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from npm_tarball import FetchError, NpmTarball, extract, main


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def integrity_of(body: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode()


def package_in(target: Path, integrity: str) -> NpmTarball:
    return NpmTarball(
        label="Demo",
        name="demo",
        version="1.0.0",
        integrity=integrity,
        target=target,
        wanted={"package/dist/demo.js": "demo.js"},
        folders={"package/dist/images/": "images"},
    )


def test_the_published_tarball_is_extracted_under_flat_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a tarball with the wanted file, an image, and files nobody asked for
    body = tarball(
        {
            "package/dist/demo.js": b"js",
            "package/dist/images/pin.png": b"png",
            "package/dist/images/deep/other.png": b"no",
            "package/README.md": b"no",
        }
    )
    monkeypatch.setattr("npm_tarball.ROOT", tmp_path)
    package = package_in(tmp_path / "vendor", integrity_of(body))

    # When it is fetched
    status = main(package, "demo", "lists only.", [], fetch=lambda url: body)

    # Then only what was asked for is written, flat, and one line says so
    assert status == 0
    written = sorted(p.relative_to(tmp_path / "vendor").as_posix() for p in tmp_path.rglob("*.*"))
    assert written == ["demo.js", "images/pin.png"]
    assert capsys.readouterr().out == "Demo 1.0.0 installed in vendor (2 files)\n"


@pytest.mark.parametrize("strict", [False, True])
def test_a_tarball_that_is_not_the_published_one_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    strict: bool,
) -> None:
    # Given a tarball whose digest is not the published integrity
    body = tarball({"package/dist/demo.js": b"tampered"})
    monkeypatch.setattr("npm_tarball.ROOT", tmp_path)
    package = package_in(tmp_path / "vendor", integrity_of(b"the published one"))

    # When it is fetched, with or without --strict
    status = main(package, "demo", "lists only.", ["--strict"] * strict, fetch=lambda url: body)

    # Then nothing is written, one line says why, and only --strict fails the command
    assert status == (1 if strict else 0)
    assert not (tmp_path / "vendor" / "demo.js").exists()
    assert capsys.readouterr().out == (
        "Demo not installed (the tarball does not match its published sha512 integrity); "
        "lists only.\n"
    )


def test_a_tarball_without_a_wanted_file_is_an_error(tmp_path: Path) -> None:
    # Given the published tarball, which lacks the wanted file
    body = tarball({"package/other.js": b"js"})

    # Then extracting it names what is missing
    with pytest.raises(FetchError, match=r"the tarball lacks demo\.js"):
        extract(package_in(tmp_path, integrity_of(body)), body)
