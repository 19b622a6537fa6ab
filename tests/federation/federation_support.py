"""Helpers for the federation tests: paths to ../shared, raw HTTP captures, test keys.

Imported by name (pytest puts this folder on sys.path); fixtures live in conftest.py.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import httpx2
import pytest

from federation.client import FederationClient
from federation.keys import KeyPair, generate_rsa_keypair

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test when that folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (../shared next to the repository)")
    return path


def list_shared(*parts: str, pattern: str = "*") -> list[Path]:
    """Files under ../shared for parametrisation at collection time ([] when absent)."""
    folder = SHARED.joinpath(*parts)
    return sorted(folder.glob(pattern)) if folder.exists() else []


def load_capture(path: Path) -> httpx2.Response:
    """A raw HTTP response capture (CRLF, LF, or CRLF headers with an LF body) as a Response."""
    raw = path.read_bytes()
    crlf, lf = raw.find(b"\r\n\r\n"), raw.find(b"\n\n")
    if crlf != -1 and (lf == -1 or crlf < lf):
        head, body = raw[:crlf], raw[crlf + 4 :]
    else:
        head, body = raw[:lf], raw[lf + 2 :]
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    status = int(lines[0].split()[1])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() not in {"transfer-encoding", "content-length", "content-encoding"}:
            headers.append((name.strip(), value.strip()))
    return httpx2.Response(status, headers=headers, content=body)


@cache
def session_keypair() -> KeyPair:
    """One RSA key pair per session (generation is slow)."""
    return generate_rsa_keypair(2048)


Route = httpx2.Response | Path | dict[str, object]


def mock_http(
    routes: dict[str, Route], seen: list[httpx2.Request] | None = None
) -> httpx2.AsyncClient:
    """An AsyncClient answering exact URLs from `routes` (captures, Responses or JSON); 404 else."""

    def handle(request: httpx2.Request) -> httpx2.Response:
        if seen is not None:
            seen.append(request)
        route = routes.get(str(request.url))
        if route is None:
            return httpx2.Response(404)
        if isinstance(route, Path):
            return load_capture(route)
        if isinstance(route, dict):
            return httpx2.Response(200, json=route)
        return route

    return httpx2.AsyncClient(transport=httpx2.MockTransport(handle))


def mock_client(routes: dict[str, Route], **options: object) -> FederationClient:
    """A FederationClient on `mock_http`, address guard off (.test names never resolve)."""
    options.setdefault("allow_private_addresses", True)
    http = mock_http(routes)
    return FederationClient(http, user_agent="quartiers-test/1", **options)  # type: ignore[arg-type]
