"""The Ed25519 keys of integrity proofs: how they are stored, published as Multikeys, and
encoded in multibase."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.integrity import (
    InvalidProofKey,
    build_multikey,
    decode_public_multikey,
    decode_secret_multikey,
    encode_public_multikey,
    encode_secret_multikey,
    load_ed25519_private_key,
)
from federation.integrity.multibase import decode_multibase, encode_multibase
from federation.keys import KeyPair

VOTER = "https://paquis.test/users/amelie"


def test_multikey_of_an_actor(key: Ed25519PrivateKey) -> None:
    multikey = build_multikey(VOTER, key.public_key())
    assert multikey == {
        "id": f"{VOTER}#ed25519-key",
        "type": "Multikey",
        "controller": VOTER,
        "publicKeyMultibase": encode_public_multikey(key.public_key()),
    }
    assert multikey["publicKeyMultibase"].startswith("z6Mk")
    assert decode_public_multikey(multikey["publicKeyMultibase"]) == key.public_key()


def test_secret_multikey_round_trip(key: Ed25519PrivateKey) -> None:
    encoded = encode_secret_multikey(key)
    assert decode_multibase(encoded)[:2] == b"\x80\x26"
    assert decode_secret_multikey(encoded).private_bytes_raw() == bytes(range(32))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (encode_multibase(b"\x80\x26" + bytes(32)), "multicodec header '8026', expected 'ed01'"),
        (encode_multibase(b"\xe7\x01" + bytes(33)), "multicodec header 'e701', expected 'ed01'"),
        (encode_multibase(b"\xed\x01" + bytes(31)), "31 key bytes, expected 32"),
        (encode_multibase(b"\xed\x01" + bytes(33)), "33 key bytes, expected 32"),
        (encode_multibase(b""), "multicodec header '', expected 'ed01'"),
        ("6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "no 'z' prefix"),
        ("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ0", "'0' is not a base58btc character"),
    ],
)
def test_public_multikey_rejects_what_is_not_an_ed25519_public_key(value: str, reason: str) -> None:
    with pytest.raises(InvalidProofKey) as raised:
        decode_public_multikey(value)
    assert reason in str(raised.value)


def test_secret_multikey_rejects_a_public_key(key: Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidProofKey, match="header 'ed01', expected '8026'"):
        decode_secret_multikey(encode_public_multikey(key.public_key()))


@pytest.mark.parametrize("pem", ["", "garbage", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END"])
def test_unreadable_stored_keys_raise(pem: str) -> None:
    with pytest.raises(InvalidProofKey, match=r"^unreadable private key"):
        load_ed25519_private_key(pem)


def test_a_stored_rsa_key_is_refused(rsa_keys: KeyPair) -> None:
    with pytest.raises(InvalidProofKey, match=r"^not an Ed25519 private key but RSAPrivateKey$"):
        load_ed25519_private_key(rsa_keys.private_pem)


@pytest.mark.parametrize("data", [b"", b"\0", b"\0\0\x01", b"\x01\0", bytes(range(64))])
def test_multibase_round_trip_keeps_leading_zeros(data: bytes) -> None:
    encoded = encode_multibase(data)
    assert encoded.startswith("z")
    assert decode_multibase(encoded) == data


def test_multibase_refuses_values_longer_than_any_we_read() -> None:
    assert len(decode_multibase("z" + "z" * 128)) == 94
    with pytest.raises(ValueError, match="longer than 128 characters"):
        decode_multibase("z" + "z" * 129)


def test_multibase_known_value() -> None:
    assert encode_multibase(b"hello world") == "zStV1DL6CwTryKyV"
    assert encode_multibase(b"\0\0hello world") == "z11StV1DL6CwTryKyV"
