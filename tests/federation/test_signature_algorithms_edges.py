"""The signature primitives: each algorithm with the key it fits, and refusals of the others."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from federation.errors import InvalidSignature
from federation.keys import KeyPair, load_private_key, load_public_key
from federation.signatures.algorithms import (
    ECDSA_P256_SHA256,
    ED25519,
    HMAC_SHA256,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    default_algorithm,
    sign_bytes,
    verify_bytes,
)

DATA = b'"@method": POST'


def _pair(private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> KeyPair:
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


@pytest.fixture(scope="module")
def p256() -> KeyPair:
    return _pair(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="module")
def edwards() -> KeyPair:
    return _pair(ed25519.Ed25519PrivateKey.generate())


def test_each_key_has_its_default_algorithm(
    rsa_keys: KeyPair, p256: KeyPair, edwards: KeyPair
) -> None:
    for keys, algorithm in (
        (rsa_keys, RSA_V1_5_SHA256),
        (p256, ECDSA_P256_SHA256),
        (edwards, ED25519),
    ):
        assert default_algorithm(load_private_key(keys.private_pem)) == algorithm
        assert default_algorithm(load_public_key(keys.public_pem)) == algorithm


@pytest.mark.parametrize("algorithm", [RSA_V1_5_SHA256, RSA_PSS_SHA512])
def test_rsa_signatures_verify_only_under_their_own_algorithm(
    rsa_keys: KeyPair, algorithm: str
) -> None:
    signature = sign_bytes(algorithm, rsa_keys.private_pem, DATA)
    verify_bytes(algorithm, rsa_keys.public_pem, DATA, signature)
    other = RSA_PSS_SHA512 if algorithm == RSA_V1_5_SHA256 else RSA_V1_5_SHA256
    with pytest.raises(InvalidSignature, match=r"^signature does not verify$"):
        verify_bytes(other, rsa_keys.public_pem, DATA, signature)
    with pytest.raises(InvalidSignature, match=r"^signature does not verify$"):
        verify_bytes(algorithm, rsa_keys.public_pem, DATA + b"!", signature)


def test_ecdsa_signatures_are_64_bytes_r_then_s(p256: KeyPair) -> None:
    signature = sign_bytes(ECDSA_P256_SHA256, p256.private_pem, DATA)
    assert len(signature) == 64
    verify_bytes(ECDSA_P256_SHA256, p256.public_pem, DATA, signature)
    swapped = signature[32:] + signature[:32]
    with pytest.raises(InvalidSignature, match=r"^signature does not verify$"):
        verify_bytes(ECDSA_P256_SHA256, p256.public_pem, DATA, swapped)
    with pytest.raises(InvalidSignature, match=r"must be 64 bytes \(r\|\|s\)$"):
        verify_bytes(ECDSA_P256_SHA256, p256.public_pem, DATA, signature + b"\0")


def test_ed25519_signatures_verify(edwards: KeyPair) -> None:
    signature = sign_bytes(ED25519, edwards.private_pem, DATA)
    verify_bytes(ED25519, edwards.public_pem, DATA, signature)
    with pytest.raises(InvalidSignature, match=r"^signature does not verify$"):
        verify_bytes(ED25519, edwards.public_pem, b"other", signature)


def test_hmac_needs_a_shared_secret_and_checks_it() -> None:
    signature = sign_bytes(HMAC_SHA256, b"secret", DATA)
    verify_bytes(HMAC_SHA256, b"secret", DATA, signature)
    with pytest.raises(InvalidSignature, match=r"^signature does not verify$"):
        verify_bytes(HMAC_SHA256, b"other secret", DATA, signature)
    with pytest.raises(InvalidSignature, match=r"^hmac-sha256 needs a shared secret$"):
        sign_bytes(HMAC_SHA256, "secret", DATA)
    with pytest.raises(InvalidSignature, match=r"^hmac-sha256 needs a shared secret$"):
        verify_bytes(HMAC_SHA256, "secret", DATA, signature)


def test_asymmetric_algorithms_need_pem_keys() -> None:
    with pytest.raises(InvalidSignature, match=r"^ed25519 needs a PEM private key$"):
        sign_bytes(ED25519, b"secret", DATA)
    with pytest.raises(InvalidSignature, match=r"^ed25519 needs a PEM public key$"):
        verify_bytes(ED25519, b"secret", DATA, b"sig")


@pytest.mark.parametrize("algorithm", [ED25519, ECDSA_P256_SHA256, "rsa-sha1"])
def test_an_algorithm_that_does_not_fit_the_key_is_refused(
    rsa_keys: KeyPair, algorithm: str
) -> None:
    with pytest.raises(
        InvalidSignature, match=rf"^algorithm {algorithm} does not fit a \w*RSAPrivateKey$"
    ):
        sign_bytes(algorithm, rsa_keys.private_pem, DATA)
    with pytest.raises(
        InvalidSignature, match=rf"^algorithm {algorithm} does not fit a \w*RSAPublicKey$"
    ):
        verify_bytes(algorithm, rsa_keys.public_pem, DATA, b"\0" * 64)


def test_rsa_algorithms_do_not_fit_other_keys(p256: KeyPair, edwards: KeyPair) -> None:
    for keys in (p256, edwards):
        for algorithm in (RSA_V1_5_SHA256, RSA_PSS_SHA512):
            with pytest.raises(InvalidSignature, match="does not fit"):
                sign_bytes(algorithm, keys.private_pem, DATA)
            with pytest.raises(InvalidSignature, match="does not fit"):
                verify_bytes(algorithm, keys.public_pem, DATA, b"\0" * 64)
