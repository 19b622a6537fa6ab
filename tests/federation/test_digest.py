"""Digest (draft-cavage) and Content-Digest (RFC 9530)."""

from __future__ import annotations

import pytest

from federation.digest import build_content_digest, build_digest, verify_digest_headers
from federation.errors import DigestMismatch

BODY = b'{"hello": "world"}'


def test_known_values() -> None:
    # Given the body of draft-cavage Appendix C and RFC 9421 Appendix B
    assert build_digest(BODY) == "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
    assert build_content_digest(BODY, "sha-512") == (
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
    )
    assert build_content_digest(BODY) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"


@pytest.mark.parametrize(
    "headers",
    [
        {"Digest": build_digest(BODY)},
        {"digest": "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=, MD5=abc"},
        {"Content-Digest": build_content_digest(BODY)},
        {"CONTENT-DIGEST": build_content_digest(BODY, "sha-512")},
        [("Digest", build_digest(BODY)), ("Content-Digest", build_content_digest(BODY))],
    ],
)
def test_matching_digests_verify(headers: object) -> None:
    assert verify_digest_headers(headers, BODY) is True  # type: ignore[arg-type]


def test_absent_digests_return_false() -> None:
    assert verify_digest_headers({"Content-Type": "application/json"}, BODY) is False


@pytest.mark.parametrize(
    "headers",
    [
        {"Digest": build_digest(b"other")},
        {"Content-Digest": build_content_digest(b"other")},
        {"Digest": build_digest(BODY), "Content-Digest": build_content_digest(b"other")},
        {"Digest": "MD5=abc"},
        {"Digest": "SHA-256=***"},
        {"Content-Digest": "not a dictionary ("},
        {"Content-Digest": 'sha-256="string"'},
        {"Content-Digest": "md5=:AAAA:"},
    ],
)
def test_mismatches_and_unusable_values_raise(headers: dict[str, str]) -> None:
    with pytest.raises(DigestMismatch):
        verify_digest_headers(headers, BODY)
