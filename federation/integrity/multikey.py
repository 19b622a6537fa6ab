"""Ed25519 keys for object proofs: storage as PEM, publication as a Multikey.

An actor that signs petition signatures holds an Ed25519 key beside its RSA key for HTTP
signatures. The private key is stored like the RSA one: unencrypted PKCS#8 PEM
(``KeyPair.private_pem``). The public key is published on the actor under ``assertionMethod``
(FEP-521a) as a Multikey: ``publicKeyMultibase`` is base58btc of the multicodec header
``0xed 0x01`` (ed25519-pub) followed by the 32 key bytes. ``secretKeyMultibase`` uses the header
``0x80 0x26`` (ed25519-priv); we only read it to load published test keys.
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.errors import FederationError
from federation.integrity.multibase import decode_multibase, encode_multibase
from federation.keys import KeyPair, public_pem_of

ED25519_PUBLIC_HEADER = b"\xed\x01"
ED25519_SECRET_HEADER = b"\x80\x26"
ED25519_KEY_LENGTH = 32
MULTIKEY_FRAGMENT = "ed25519-key"


class InvalidProofKey(FederationError, ValueError):
    """An Ed25519 key that cannot be read: bad multibase, wrong header or length, not Ed25519."""


def generate_ed25519_keypair() -> KeyPair:
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return KeyPair(private_pem=private_pem, public_pem=public_pem_of(private))


def load_ed25519_private_key(pem: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidProofKey(f"unreadable private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidProofKey(f"not an Ed25519 private key but {type(key).__name__}")
    return key


def encode_public_multikey(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return encode_multibase(ED25519_PUBLIC_HEADER + raw)


def decode_public_multikey(value: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_key_bytes(value, ED25519_PUBLIC_HEADER))


def encode_secret_multikey(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return encode_multibase(ED25519_SECRET_HEADER + raw)


def decode_secret_multikey(value: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_key_bytes(value, ED25519_SECRET_HEADER))


def _key_bytes(value: str, header: bytes) -> bytes:
    try:
        data = decode_multibase(value)
    except ValueError as exc:
        raise InvalidProofKey(str(exc)) from exc
    if data[: len(header)] != header:
        raise InvalidProofKey(f"multicodec header {data[:2].hex()!r}, expected {header.hex()!r}")
    if len(data) != len(header) + ED25519_KEY_LENGTH:
        raise InvalidProofKey(f"{len(data) - len(header)} key bytes, expected {ED25519_KEY_LENGTH}")
    return data[len(header) :]


def multikey_id(actor_uri: str) -> str:
    """The ``verificationMethod`` our proofs name: the actor's Ed25519 key, by fragment."""
    return f"{actor_uri}#{MULTIKEY_FRAGMENT}"


def build_multikey(actor_uri: str, public_key: Ed25519PublicKey) -> dict[str, str]:
    """The verification method an actor lists under ``assertionMethod``."""
    return {
        "id": multikey_id(actor_uri),
        "type": "Multikey",
        "controller": actor_uri,
        "publicKeyMultibase": encode_public_multikey(public_key),
    }
