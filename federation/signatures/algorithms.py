"""Signature algorithms shared by draft-cavage and RFC 9421.

Key material is a PEM string for asymmetric keys, or raw bytes for an HMAC
shared secret (RFC 9421 `hmac-sha256`).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from federation.errors import InvalidSignature
from federation.keys import PrivateKey, PublicKey, load_private_key, load_public_key

KeyMaterial = str | bytes

RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
ED25519 = "ed25519"
HMAC_SHA256 = "hmac-sha256"
RFC9421_ALGORITHMS = frozenset(
    {RSA_V1_5_SHA256, RSA_PSS_SHA512, ECDSA_P256_SHA256, ED25519, HMAC_SHA256}
)

_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_PSS_SHA512 = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
_P256_COORDINATE_BYTES = 32


def default_algorithm(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSA_V1_5_SHA256
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return ED25519
    return ECDSA_P256_SHA256


def sign_bytes(algorithm: str, material: KeyMaterial, data: bytes) -> bytes:
    if algorithm == HMAC_SHA256:
        if not isinstance(material, bytes):
            raise InvalidSignature("hmac-sha256 needs a shared secret")
        return hmac.new(material, data, hashlib.sha256).digest()
    if not isinstance(material, str):
        raise InvalidSignature(f"{algorithm} needs a PEM private key")
    key = load_private_key(material)
    if algorithm == RSA_V1_5_SHA256 and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if algorithm == RSA_PSS_SHA512 and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, _PSS_SHA512, hashes.SHA512())
    if algorithm == ECDSA_P256_SHA256 and isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(_P256_COORDINATE_BYTES, "big") + s.to_bytes(_P256_COORDINATE_BYTES, "big")
    if algorithm == ED25519 and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    raise InvalidSignature(f"algorithm {algorithm} does not fit a {type(key).__name__}")


def verify_bytes(algorithm: str, material: KeyMaterial, data: bytes, signature: bytes) -> None:
    """Raise InvalidSignature unless `signature` is valid for `data`."""
    if algorithm == HMAC_SHA256:
        if not isinstance(material, bytes):
            raise InvalidSignature("hmac-sha256 needs a shared secret")
        expected = hmac.new(material, data, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise InvalidSignature("signature does not verify")
        return
    if not isinstance(material, str):
        raise InvalidSignature(f"{algorithm} needs a PEM public key")
    key = load_public_key(material)
    try:
        _verify_with_key(algorithm, key, data, signature)
    except CryptoInvalidSignature as exc:
        raise InvalidSignature("signature does not verify") from exc


def _verify_with_key(algorithm: str, key: PublicKey, data: bytes, signature: bytes) -> None:
    if algorithm == RSA_V1_5_SHA256 and isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, _PKCS1V15, _SHA256)
    elif algorithm == RSA_PSS_SHA512 and isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, _PSS_SHA512, hashes.SHA512())
    elif algorithm == ECDSA_P256_SHA256 and isinstance(key, ec.EllipticCurvePublicKey):
        if len(signature) != 2 * _P256_COORDINATE_BYTES:
            raise InvalidSignature("ecdsa-p256-sha256 signature must be 64 bytes (r||s)")
        r = int.from_bytes(signature[:_P256_COORDINATE_BYTES], "big")
        s = int.from_bytes(signature[_P256_COORDINATE_BYTES:], "big")
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    elif algorithm == ED25519 and isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
    else:
        raise InvalidSignature(f"algorithm {algorithm} does not fit a {type(key).__name__}")
