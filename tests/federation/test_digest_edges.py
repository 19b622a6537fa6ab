"""Digest and Content-Digest: several algorithms in one header, and the reasons given back."""

from __future__ import annotations

import base64
import hashlib

import pytest

from federation.digest import build_content_digest, build_digest, verify_digest_headers
from federation.errors import DigestMismatch

BODY = b'{"type": "Create", "actor": "https://paquis.test/actors/lea"}'


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def test_an_unknown_algorithm_before_a_known_one_is_skipped() -> None:
    # Given a Digest naming an algorithm we do not know, then a matching SHA-256
    header = f"MD5=abc, {build_digest(BODY)}"

    # When it is verified
    # Then the SHA-256 part is checked and accepted
    assert verify_digest_headers({"Digest": header}, BODY) is True


def test_every_known_algorithm_of_a_digest_must_match() -> None:
    # Given a Digest whose SHA-256 matches but whose SHA-512 is for another body
    other = _b64(hashlib.sha512(b"another body").digest())
    header = f"{build_digest(BODY)},SHA-512={other}"

    # When it is verified
    # Then the SHA-512 mismatch is refused, naming the header and the algorithm
    with pytest.raises(DigestMismatch, match=r"^Digest sha-512 does not match the body$"):
        verify_digest_headers({"Digest": header}, BODY)


def test_a_digest_algorithm_name_is_case_insensitive_and_trimmed() -> None:
    # Given a Digest written in lower case with spaces around its parts
    header = f"  sha-512 = {_b64(hashlib.sha512(BODY).digest())} "

    # When it is verified
    # Then it is accepted
    assert verify_digest_headers({"Digest": header}, BODY) is True


def test_a_digest_part_without_equals_sign_is_not_an_algorithm() -> None:
    # Given a Digest whose only part has no value
    # When it is verified
    # Then it is refused as carrying no supported algorithm
    with pytest.raises(DigestMismatch, match=r"^Digest carries no supported algorithm"):
        verify_digest_headers({"Digest": "SHA-256"}, BODY)


def test_a_digest_value_that_is_not_base64_is_refused_as_such() -> None:
    # Given a SHA-256 Digest whose value is not base64
    # When it is verified
    # Then the reason says so (not a mismatch with an empty hash)
    with pytest.raises(DigestMismatch, match=r"^Digest value is not base64$"):
        verify_digest_headers({"Digest": "SHA-256=not*base64"}, BODY)


def test_a_digest_with_characters_outside_base64_is_refused_even_when_the_rest_matches() -> None:
    # Given a matching SHA-256 Digest with a stray character in its value
    name, _, value = build_digest(BODY).partition("=")
    header = f"{name}={value[:8]}!{value[8:]}"

    # When it is verified
    # Then it is refused: a lenient decoder would drop the "!" and take it
    with pytest.raises(DigestMismatch, match=r"^Digest value is not base64$"):
        verify_digest_headers({"Digest": header}, BODY)


def test_a_mismatching_sha256_digest_names_its_header() -> None:
    with pytest.raises(DigestMismatch, match=r"^Digest sha-256 does not match the body$"):
        verify_digest_headers({"Digest": build_digest(b"other")}, BODY)


def test_an_unknown_content_digest_algorithm_before_a_known_one_is_skipped() -> None:
    # Given a Content-Digest with an unknown member first, then a matching sha-256
    header = f"md5=:AAAA:, {build_content_digest(BODY)}"

    # When it is verified
    # Then the sha-256 member is checked and accepted
    assert verify_digest_headers({"Content-Digest": header}, BODY) is True


def test_every_known_member_of_a_content_digest_must_match() -> None:
    # Given a Content-Digest whose sha-256 matches but whose sha-512 is for another body
    header = f"{build_content_digest(BODY)}, {build_content_digest(b'x', 'sha-512')}"

    # When it is verified
    # Then the reason names the header and the algorithm
    with pytest.raises(DigestMismatch, match=r"^Content-Digest sha-512 does not match the body$"):
        verify_digest_headers({"Content-Digest": header}, BODY)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ('sha-256="text"', "^Content-Digest value is not a byte sequence$"),
        ("md5=:AAAA:", "^Content-Digest carries no supported algorithm"),
        ("sha-256=:AAAA", "^Content-Digest is not a structured dictionary$"),
    ],
)
def test_unusable_content_digests_say_why(header: str, reason: str) -> None:
    # Given a Content-Digest that cannot be checked
    # When it is verified
    # Then the refusal gives a reason a remote admin can act on
    with pytest.raises(DigestMismatch, match=reason):
        verify_digest_headers({"Content-Digest": header}, BODY)


def test_a_content_digest_of_another_body_is_refused() -> None:
    with pytest.raises(DigestMismatch, match=r"^Content-Digest sha-256 does not match the body$"):
        verify_digest_headers({"Content-Digest": build_content_digest(b"other")}, BODY)


def test_both_headers_are_checked_when_both_are_present() -> None:
    # Given a good Content-Digest but a Digest of another body
    headers = {"Content-Digest": build_content_digest(BODY), "Digest": build_digest(b"other")}

    # When they are verified
    # Then the bad Digest is not hidden by the good Content-Digest
    with pytest.raises(DigestMismatch, match=r"^Digest sha-256"):
        verify_digest_headers(headers, BODY)


@pytest.mark.parametrize("algorithm", ["sha-256", "sha-512"])
def test_built_content_digests_carry_the_hash_of_the_body(algorithm: str) -> None:
    # Given a body
    # When its Content-Digest is built
    value = build_content_digest(BODY, algorithm)

    # Then it is the structured byte sequence of that hash
    digest = hashlib.new(algorithm.replace("-", ""), BODY).digest()
    assert value == f"{algorithm}=:{_b64(digest)}:"
