"""Body digests: draft-cavage `Digest` (RFC 3230) and RFC 9530 `Content-Digest`."""

from __future__ import annotations

import base64
import hashlib
import hmac

from federation.errors import DigestMismatch, InvalidSignature
from federation.http_headers import HeadersInput, read_headers
from federation.structured_fields import parse_dictionary

_ALGORITHMS = {"sha-256": "sha256", "sha-512": "sha512"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def build_digest(body: bytes) -> str:
    return f"SHA-256={_b64(hashlib.sha256(body).digest())}"


def build_content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    hashed = hashlib.new(_ALGORITHMS[algorithm], body).digest()
    return f"{algorithm}=:{_b64(hashed)}:"


def _check(algorithm: str, expected: bytes, body: bytes, header: str) -> None:
    actual = hashlib.new(_ALGORITHMS[algorithm], body).digest()
    if not hmac.compare_digest(actual, expected):
        raise DigestMismatch(f"{header} {algorithm} does not match the body")


def _verify_legacy_digest(value: str, body: bytes) -> None:
    supported = False
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        algorithm = name.strip().lower()
        if not sep or algorithm not in _ALGORITHMS:
            continue
        try:
            expected = base64.b64decode(encoded.strip(), validate=True)
        except ValueError as exc:
            raise DigestMismatch("Digest value is not base64") from exc
        _check(algorithm, expected, body, "Digest")
        supported = True
    if not supported:
        raise DigestMismatch("Digest carries no supported algorithm (sha-256, sha-512)")


def _verify_content_digest(value: str, body: bytes) -> None:
    try:
        members = parse_dictionary(value, "Content-Digest")
    except InvalidSignature as exc:
        raise DigestMismatch(str(exc)) from exc
    supported = False
    for name, (expected, _params) in members.items():
        if name not in _ALGORITHMS:
            continue
        if not isinstance(expected, bytes):
            raise DigestMismatch("Content-Digest value is not a byte sequence")
        _check(name, expected, body, "Content-Digest")
        supported = True
    if not supported:
        raise DigestMismatch("Content-Digest carries no supported algorithm (sha-256, sha-512)")


def verify_digest_headers(headers: HeadersInput, body: bytes) -> bool:
    """Check every digest header present against `body`.

    Returns True when at least one was present and all matched, False when
    neither `Digest` nor `Content-Digest` is present (a POST must carry one:
    the caller decides), and raises DigestMismatch on any mismatch.
    """
    normalized = read_headers(headers)
    legacy = normalized.get("digest")
    modern = normalized.get("content-digest")
    if legacy is not None:
        _verify_legacy_digest(legacy, body)
    if modern is not None:
        _verify_content_digest(modern, body)
    return legacy is not None or modern is not None
