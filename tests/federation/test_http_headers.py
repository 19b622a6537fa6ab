"""Header names read case-insensitively, repeated fields merged, and read once per request."""

from __future__ import annotations

from federation.http_headers import normalize_headers, read_headers
from federation.keys import generate_rsa_keypair
from federation.signatures import Scheme, sign_request, verify_request


def test_names_are_lower_cased_and_repeated_fields_joined() -> None:
    headers = [("Host", "paquis.test"), ("Accept", "a/b"), ("ACCEPT", " c/d ")]
    assert normalize_headers(headers) == {"host": "paquis.test", "accept": "a/b, c/d"}


def test_normalized_headers_are_copied_as_they_are_and_never_shared() -> None:
    # Given headers already normalized
    first = normalize_headers({"Date": "Fri, 04 Dec 2026 23:16:24 GMT", "Digest": "x"})
    # When they are normalized again and the copy is added to (as signing does)
    second = normalize_headers(first)
    second["signature"] = "added"
    # Then the copy has the same fields, and the first is untouched
    assert second == {**first, "signature": "added"}
    assert "signature" not in first


def test_headers_only_read_are_normalized_once_and_then_shared() -> None:
    # Given a request's headers as a server gives them, and the same once normalized
    raw = [("Host", "paquis.test"), ("Digest", "x")]
    normalized = normalize_headers(raw)
    # Then reading the normalized ones reads them as they are, without a copy
    assert read_headers(normalized) is normalized
    # While headers never normalized are normalized first
    assert read_headers(raw) == {"host": "paquis.test", "digest": "x"}


def test_a_verified_request_without_a_host_header_is_read_with_the_host_given() -> None:
    # Given a request signed over its host, whose headers (normalized) carry no Host field
    body = b"{}"
    keys = generate_rsa_keypair()
    url = "https://paquis.test/inbox"
    signed = sign_request(
        "POST", url, {}, body, "https://mastodon.test/users/bob#main-key", keys.private_pem,
        Scheme.CAVAGE,
    )  # fmt: skip
    headers = normalize_headers((name, value) for name, value in signed.items() if name != "Host")
    # When it is verified with the host the request reached
    verify_request("POST", "/inbox", "paquis.test", headers, body, keys.public_pem)
    # Then it verifies, and the headers read are left as they were
    assert "host" not in headers


def test_the_host_a_request_carries_is_the_one_its_signature_is_checked_against() -> None:
    # Given a request signed for paquis.test, which carries that Host header
    body = b"{}"
    keys = generate_rsa_keypair()
    signed = sign_request(
        "POST", "https://paquis.test/inbox", {}, body, "https://mastodon.test/users/bob#main-key",
        keys.private_pem, Scheme.CAVAGE,
    )  # fmt: skip
    # When it is verified by a server that names itself otherwise (behind a proxy, say)
    # Then the Host the request carries is the one checked, and the request verifies
    verify_request("POST", "/inbox", "internal.test:8000", signed, body, keys.public_pem)
