"""draft-cavage at its edges: header forms, parameters, algorithms, and the reasons for refusal."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.errors import InvalidSignature, MissingSignature
from federation.keys import KeyPair
from federation.signatures import cavage
from federation.signatures.algorithms import RSA_PSS_SHA512, sign_bytes

PATH = "/inbox"
HEADERS = {"host": "jonction.test", "date": "Fri, 20 Nov 2026 12:00:00 GMT"}
COVERED = ("(request-target)", "host", "date")


def _ed25519() -> KeyPair:
    private = ed25519.Ed25519PrivateKey.generate()
    return KeyPair(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )


def test_a_header_is_read_with_its_parameters_in_any_order() -> None:
    # Given a header with spaces, an escaped quote, a repeated parameter and upper-case headers
    parsed = cavage.parse_signature_header(
        ' headers = "(Request-Target) Host" , keyId="https://paquis.test/k\\"1",'
        'signature="YWJj",keyId="ignored", algorithm=hs2019 '
    )
    # Then the first value of each counts, unescaped, and header names are lower-cased
    assert parsed == cavage.CavageSignature(
        key_id='https://paquis.test/k"1',
        algorithm="hs2019",
        headers=("(request-target)", "host"),
        signature=b"abc",
    )


def test_without_a_headers_parameter_only_the_date_is_covered() -> None:
    parsed = cavage.parse_signature_header('keyId="k",signature="YWJj"')
    assert parsed.headers == ("date",)
    assert parsed.algorithm is None
    assert (parsed.created, parsed.expires) == (None, None)


def test_a_created_or_expires_with_a_fraction_is_read_to_the_second() -> None:
    parsed = cavage.parse_signature_header(
        'keyId="k",signature="YWJj",created=1763640000.25,expires="1763640060.9"'
    )
    assert (parsed.created, parsed.expires) == (1763640000, 1763640060)


def test_an_authorization_header_can_carry_the_signature() -> None:
    # Given a request signed in its Authorization header, as some servers do
    value = 'Signature keyId="k",signature="YWJj"'

    # When the signature is looked for and read
    found = cavage.find_signature_header({"authorization": value})

    # Then the Authorization value is used, its prefix dropped
    assert found == value
    assert cavage.parse_signature_header(found).key_id == "k"
    assert cavage.parse_signature_header('SIGNATURE keyId="k",signature="YWJj"').key_id == "k"


def test_the_signature_header_is_preferred_and_other_authorizations_are_no_signature() -> None:
    both = {"signature": 'keyId="a",signature="YWJj"', "authorization": 'Signature keyId="b"'}
    assert cavage.find_signature_header(both) == both["signature"]
    with pytest.raises(MissingSignature, match=r"^no Signature header$"):
        cavage.find_signature_header({"authorization": "Bearer abc"})


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ('keyId="k" signature="YWJj"', r"^malformed Signature header$"),
        ('keyId="",signature="YWJj"', r"^Signature header lacks keyId or signature$"),
        ('keyId="k"', r"^Signature header lacks keyId or signature$"),
        ('keyId="k",signature="%%%"', r"^signature is not base64$"),
        ('keyId="k",signature="YWJj",expires=soon', r"^expires is not a number$"),
        ('keyId="k",signature="YWJj",created=later', r"^created is not a number$"),
    ],
)
def test_malformed_headers_say_why(header: str, reason: str) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        cavage.parse_signature_header(header)


def test_an_empty_signature_parameter_is_an_empty_signature() -> None:
    assert cavage.parse_signature_header('keyId="k",signature=""').signature == b""


def test_the_signing_string_of_pseudo_headers() -> None:
    covered = ("(request-target)", "(created)", "(expires)", "host")
    text = cavage.build_signing_string("POST", "/inbox?a=1", HEADERS, covered, 100, 200)
    assert (
        text
        == "(request-target): post /inbox?a=1\n(created): 100\n(expires): 200\nhost: jonction.test"
    )


@pytest.mark.parametrize(
    ("covered", "reason"),
    [
        (("(created)",), r"^\(created\) covered without a created parameter$"),
        (("(expires)",), r"^\(expires\) covered without an expires parameter$"),
        (("digest",), r"^covered header digest is absent$"),
    ],
)
def test_what_cannot_be_covered_says_why(covered: tuple[str, ...], reason: str) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        cavage.build_signing_string("GET", PATH, HEADERS, covered)


def test_created_and_expires_are_written_and_verified(rsa_keys: KeyPair) -> None:
    covered = ("(request-target)", "(created)", "(expires)")
    header = cavage.sign_cavage(
        "GET", PATH, HEADERS, covered, "k", rsa_keys.private_pem, created=100, expires=200
    )
    assert header.startswith('keyId="k",algorithm="rsa-sha256",created=100,expires=200,')
    parsed = cavage.parse_signature_header(header)
    assert (parsed.created, parsed.expires) == (100, 200)
    cavage.verify_cavage("GET", PATH, HEADERS, parsed, rsa_keys.public_pem)
    # A signature whose expires was changed does not verify
    tampered = cavage.parse_signature_header(header.replace("expires=200", "expires=300"))
    with pytest.raises(InvalidSignature):
        cavage.verify_cavage("GET", PATH, HEADERS, tampered, rsa_keys.public_pem)


def test_a_shared_secret_signs_hmac_sha256() -> None:
    secret = b"un secret partage"
    header = cavage.sign_cavage("GET", PATH, HEADERS, COVERED, "k", secret, "HMAC-SHA256")
    parsed = cavage.parse_signature_header(header)
    cavage.verify_cavage("GET", PATH, HEADERS, parsed, secret)
    with pytest.raises(InvalidSignature):
        cavage.verify_cavage("GET", PATH, HEADERS, parsed, b"un autre secret")


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "hs2019", None])
def test_an_asymmetric_algorithm_needs_a_pem_key(algorithm: str | None) -> None:
    parsed = cavage.CavageSignature("k", algorithm, COVERED, b"abc")
    with pytest.raises(InvalidSignature, match=r"^an asymmetric algorithm needs a PEM key$"):
        cavage.verify_cavage("GET", PATH, HEADERS, parsed, b"secret")


def test_an_unknown_algorithm_is_refused_by_name(rsa_keys: KeyPair) -> None:
    parsed = cavage.CavageSignature("k", "rsa-sha1", COVERED, b"abc")
    with pytest.raises(InvalidSignature, match=r"^unsupported algorithm 'rsa-sha1'$"):
        cavage.verify_cavage("GET", PATH, HEADERS, parsed, rsa_keys.public_pem)


def test_algorithm_names_are_read_without_case(rsa_keys: KeyPair) -> None:
    header = cavage.sign_cavage("GET", PATH, HEADERS, COVERED, "k", rsa_keys.private_pem)
    upper = cavage.parse_signature_header(header.replace("rsa-sha256", "RSA-SHA256"))
    cavage.verify_cavage("GET", PATH, HEADERS, upper, rsa_keys.public_pem)
    hs2019 = cavage.sign_cavage("GET", PATH, HEADERS, COVERED, "k", rsa_keys.private_pem, "HS2019")
    cavage.verify_cavage(
        "GET", PATH, HEADERS, cavage.parse_signature_header(hs2019), rsa_keys.public_pem
    )


def test_without_an_algorithm_the_key_decides(rsa_keys: KeyPair) -> None:
    # Given signatures without an algorithm parameter, by an RSA and an Ed25519 key
    edwards = _ed25519()
    for keys in (rsa_keys, edwards):
        header = cavage.sign_cavage("GET", PATH, HEADERS, COVERED, "k", keys.private_pem, "hs2019")
        header = header.replace('algorithm="hs2019",', "")
        # Then each verifies with its own public key
        parsed = cavage.parse_signature_header(header)
        assert parsed.algorithm is None
        cavage.verify_cavage("GET", PATH, HEADERS, parsed, keys.public_pem)


def test_hs2019_also_takes_rsa_pss_signatures(rsa_keys: KeyPair) -> None:
    # Given a server that means RSASSA-PSS with SHA-512 by hs2019
    text = cavage.build_signing_string("GET", PATH, HEADERS, COVERED)
    signature = sign_bytes(RSA_PSS_SHA512, rsa_keys.private_pem, text.encode())
    header = cavage.build_signature_header("k", "hs2019", COVERED, signature)
    parsed = cavage.parse_signature_header(header)
    # Then its signature verifies
    cavage.verify_cavage("GET", PATH, HEADERS, parsed, rsa_keys.public_pem)
    # But not under rsa-sha256, which means PKCS#1 v1.5 only
    strict = cavage.CavageSignature("k", "rsa-sha256", COVERED, parsed.signature)
    with pytest.raises(InvalidSignature):
        cavage.verify_cavage("GET", PATH, HEADERS, strict, rsa_keys.public_pem)


def test_the_signature_header_is_written_as_servers_expect() -> None:
    header = cavage.build_signature_header("k", "rsa-sha256", COVERED, b"abc")
    assert header == (
        'keyId="k",algorithm="rsa-sha256",headers="(request-target) host date",'
        f'signature="{base64.b64encode(b"abc").decode()}"'
    )
