"""Header names read case-insensitively, repeated fields merged, and read once per request."""

from __future__ import annotations

from federation.http_headers import normalize_headers


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
