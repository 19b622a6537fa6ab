"""Key generation and cached loading (SPKI and PKCS#1 public keys)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, rsa

from federation.errors import InvalidSignature
from federation.keys import KeyPair, load_private_key, load_public_key
from tests.federation.federation_support import shared_path


def test_generated_pair_loads(rsa_keys: KeyPair) -> None:
    assert rsa_keys.private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert rsa_keys.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    private = load_private_key(rsa_keys.private_pem)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048


def test_pkcs1_and_spki_public_keys_load() -> None:
    folder = shared_path("vectors", "http-signatures", "rfc9421")
    pkcs1 = (folder / "test-key-rsa.public.pem").read_text()
    assert "BEGIN RSA PUBLIC KEY" in pkcs1
    assert isinstance(load_public_key(pkcs1), rsa.RSAPublicKey)
    spki = (shared_path("vectors", "http-signatures", "cavage-12") / "rsa_public.pem").read_text()
    assert isinstance(load_public_key(spki), rsa.RSAPublicKey)


def test_loaded_keys_are_cached(rsa_keys: KeyPair) -> None:
    assert load_public_key(rsa_keys.public_pem) is load_public_key(rsa_keys.public_pem)
    assert load_public_key.cache_info().hits >= 1


@pytest.mark.parametrize(
    "pem", ["", "garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"]
)
def test_unreadable_keys_raise_invalid_signature(pem: str) -> None:
    with pytest.raises(InvalidSignature):
        load_public_key(pem)
    with pytest.raises(InvalidSignature):
        load_private_key(pem)


def test_a_key_of_a_kind_no_server_signs_with_is_refused_by_its_kind() -> None:
    # Given a readable DSA key pair, a kind no fediverse server signs with
    private = dsa.generate_private_key(key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    # Then each is refused, naming its kind
    with pytest.raises(InvalidSignature, match=r"^unsupported private key type DSAPrivateKey$"):
        load_private_key(private_pem)
    with pytest.raises(InvalidSignature, match=r"^unsupported public key type DSAPublicKey$"):
        load_public_key(public_pem)
