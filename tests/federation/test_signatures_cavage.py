"""draft-cavage-http-signatures-12 Appendix C vectors, byte for byte."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from federation.errors import InvalidSignature
from federation.http_headers import normalize_headers
from federation.signatures import cavage
from federation.signatures.algorithms import RSA_V1_5_SHA256, sign_bytes
from tests.federation.federation_support import shared_path

CASE_IDS = ["C.1", "C.2", "C.3"]


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    folder = shared_path("vectors", "http-signatures", "cavage-12")
    data: dict[str, Any] = json.loads((folder / "appendix-c.json").read_text())
    data["private_pem"] = (folder / "rsa_private.pem").read_text()
    data["public_pem"] = (folder / "rsa_public.pem").read_text()
    return data


def _request(vectors: dict[str, Any], date: str | None = None) -> tuple[str, dict[str, str]]:
    headers = normalize_headers([tuple(pair) for pair in vectors["request"]["headers"]])
    if date is not None:
        headers["date"] = date
    return vectors["request"]["request_target"], headers


def _covered(headers_param: str | None) -> tuple[str, ...]:
    return tuple(headers_param.split()) if headers_param else cavage.DEFAULT_HEADERS


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_signing_string_and_signature_match_appendix_c(
    vectors: dict[str, Any], case_id: str
) -> None:
    # Given the Appendix C request and one case
    case = next(c for c in vectors["cases"] if c["id"] == case_id)
    path, headers = _request(vectors)
    covered = _covered(case["headers_param"])

    # When we build the signing string and sign it
    signing_string = cavage.build_signing_string("POST", path, headers, covered)
    signature = sign_bytes(RSA_V1_5_SHA256, vectors["private_pem"], signing_string.encode())

    # Then both are the published bytes, and the published header verifies
    assert signing_string == case["signing_string"]
    assert base64.b64encode(signature).decode() == case["signature"]
    for header in (case["signature_header"], case["authorization_header"]):
        parsed = cavage.parse_signature_header(header)
        assert parsed.key_id == "Test"
        assert parsed.headers == covered
        cavage.verify_cavage("POST", path, headers, parsed, vectors["public_pem"])


@pytest.mark.parametrize("case_id", ["C.2", "C.3"])
def test_signature_header_is_reproduced(vectors: dict[str, Any], case_id: str) -> None:
    case = next(c for c in vectors["cases"] if c["id"] == case_id)
    path, headers = _request(vectors)
    header = cavage.sign_cavage(
        "POST", path, headers, _covered(case["headers_param"]), "Test", vectors["private_pem"]
    )
    assert header == case["signature_header"]


def test_erratum_eight_line_string_does_not_verify(vectors: dict[str, Any]) -> None:
    # Given draft-12's printed C.3 header with (created) and (expires)
    negative = vectors["draft_12_c3_erratum"]["negative_case"]
    path, headers = _request(vectors)
    covered = tuple(negative["headers_param"].split())
    signing_string = cavage.build_signing_string(
        "POST", path, headers, covered, negative["created"], negative["expires"]
    )
    assert signing_string == negative["signing_string"]
    parsed = cavage.CavageSignature(
        key_id="Test",
        algorithm="rsa-sha256",
        headers=covered,
        signature=base64.b64decode(negative["signature"]),
        created=negative["created"],
        expires=negative["expires"],
    )
    # Then the printed signature is rejected over that string
    with pytest.raises(InvalidSignature):
        cavage.verify_cavage("POST", path, headers, parsed, vectors["public_pem"])


def test_httpsig_variants(vectors: dict[str, Any]) -> None:
    variants = vectors["httpsig_1_3_0_variants"]
    path, headers = _request(vectors, date=variants["date"])
    for case in variants["cases"]:
        covered = _covered(case["headers_param"])
        signing_string = cavage.build_signing_string("POST", path, headers, covered)
        assert signing_string == case["signing_string"], case["id"]
        signature = sign_bytes(RSA_V1_5_SHA256, vectors["private_pem"], signing_string.encode())
        assert base64.b64encode(signature).decode() == case["signature"], case["id"]


def test_hs2019_is_read_as_rsa_sha256_for_rsa_keys(vectors: dict[str, Any]) -> None:
    path, headers = _request(vectors)
    covered = ("(request-target)", "host", "date")
    header = cavage.sign_cavage(
        "POST", path, headers, covered, "Test", vectors["private_pem"], algorithm="hs2019"
    )
    parsed = cavage.parse_signature_header(header)
    assert parsed.algorithm == "hs2019"
    cavage.verify_cavage("POST", path, headers, parsed, vectors["public_pem"])


@pytest.mark.parametrize(
    "header",
    [
        'keyId="Test",signature="%%%"',
        'algorithm="rsa-sha256"',
        'keyId="Test" signature="abc"',
        'keyId="Test",created=abc,signature="YWJj"',
    ],
)
def test_malformed_signature_headers_are_refused(header: str) -> None:
    with pytest.raises(InvalidSignature):
        cavage.parse_signature_header(header)


def test_created_and_expires_are_parsed_unquoted() -> None:
    parsed = cavage.parse_signature_header(
        'keyId="k",algorithm="hs2019",created=1402170695,expires=1402170699.5,'
        'headers="(request-target) (created)",signature="YWJj"'
    )
    assert (parsed.created, parsed.expires) == (1402170695, 1402170699)
    assert parsed.headers == ("(request-target)", "(created)")
