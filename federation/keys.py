"""Key pairs and cached PEM loading.

Loading a PEM costs far more than verifying one signature, and an inbox
verifies thousands per second from a few hundred keys: loaded keys are kept in
an LRU cache keyed by the PEM text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    PrivateKeyTypes,
    PublicKeyTypes,
)

from federation.errors import InvalidSignature

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

KEY_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class KeyPair:
    private_pem: str
    public_pem: str


def generate_rsa_keypair(bits: int = 2048) -> KeyPair:
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return KeyPair(private_pem=private_pem, public_pem=public_pem_of(private))


def public_pem_of(private: PrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _check_private(key: PrivateKeyTypes) -> PrivateKey:
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        return key
    raise InvalidSignature(f"unsupported private key type {type(key).__name__}")


def _check_public(key: PublicKeyTypes) -> PublicKey:
    if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        return key
    raise InvalidSignature(f"unsupported public key type {type(key).__name__}")


@lru_cache(maxsize=KEY_CACHE_SIZE)
def load_private_key(pem: str) -> PrivateKey:
    """PKCS#8 or PKCS#1 / SEC1 PEM; raises InvalidSignature when unreadable."""
    try:
        return _check_private(serialization.load_pem_private_key(pem.encode(), password=None))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidSignature(f"unreadable private key: {exc}") from exc


@lru_cache(maxsize=KEY_CACHE_SIZE)
def load_public_key(pem: str) -> PublicKey:
    """SubjectPublicKeyInfo ("BEGIN PUBLIC KEY") or PKCS#1 ("BEGIN RSA PUBLIC KEY")."""
    try:
        return _check_public(serialization.load_pem_public_key(pem.strip().encode()))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidSignature(f"unreadable public key: {exc}") from exc
