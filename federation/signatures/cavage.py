"""draft-cavage-http-signatures-12, the `Signature:` header most fediverse servers send.

Fediverse servers read a missing `headers` parameter as "date" (the draft's
older default; draft-12 changed it to `(created)`, which nobody sends), and
treat `hs2019` as "whatever the key is": for RSA keys that means PKCS#1 v1.5
with SHA-256, which is what Mastodon emits and accepts.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation.errors import InvalidSignature, MissingSignature
from federation.keys import load_private_key, load_public_key
from federation.signatures.algorithms import (
    ED25519,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    KeyMaterial,
    sign_bytes,
    verify_bytes,
)

RSA_SHA256 = "rsa-sha256"
HS2019 = "hs2019"
HMAC_SHA256_CAVAGE = "hmac-sha256"
DEFAULT_HEADERS = ("date",)

_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^,\s]*))\s*(?:,|$)')
_ESCAPED = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class CavageSignature:
    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


@lru_cache(maxsize=1024)
def parse_signature_header(value: str) -> CavageSignature:
    """Parse a `Signature` header value (or an `Authorization: Signature …` value).

    Cached: the inbox reads the key id first, to fetch the key, then verifies the same header.
    """
    text = value.strip()
    if text[:10].lower() == "signature ":
        text = text[10:]
    params: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _PARAM.match(text, position)
        if match is None or match.end() == position:
            raise InvalidSignature("malformed Signature header")
        raw = match.group(2) if match.group(2) is not None else match.group(3)
        if "\\" in raw:
            raw = _ESCAPED.sub(r"\1", raw)
        params.setdefault(match.group(1), raw)
        position = match.end()
    key_id = params.get("keyId")
    encoded = params.get("signature")
    if not key_id or encoded is None:
        raise InvalidSignature("Signature header lacks keyId or signature")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise InvalidSignature("signature is not base64") from exc
    headers = params.get("headers")
    return CavageSignature(
        key_id=key_id,
        algorithm=params.get("algorithm"),
        headers=tuple(headers.lower().split()) if headers else DEFAULT_HEADERS,
        signature=signature,
        created=_int_param(params, "created"),
        expires=_int_param(params, "expires"),
    )


def _int_param(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return int(raw.split(".")[0])
    except ValueError as exc:
        raise InvalidSignature(f"{name} is not a number") from exc


def build_signing_string(
    method: str,
    path_with_query: str,
    headers: dict[str, str],
    covered: tuple[str, ...],
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """One `name: value` line per covered header (lower-cased), joined by "\\n"."""
    lines: list[str] = []
    for name in covered:
        match name:
            case "(request-target)":
                value = f"{method.lower()} {path_with_query}"
            case "(created)":
                if created is None:
                    raise InvalidSignature("(created) covered without a created parameter")
                value = str(created)
            case "(expires)":
                if expires is None:
                    raise InvalidSignature("(expires) covered without an expires parameter")
                value = str(expires)
            case _:
                header = headers.get(name)
                if header is None:
                    raise InvalidSignature(f"covered header {name} is absent")
                value = header
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _crypto_algorithm(algorithm: str | None, key: KeyMaterial) -> str:
    """Map a cavage `algorithm` name to the primitive to use for `key`."""
    if algorithm is not None and algorithm.lower() == HMAC_SHA256_CAVAGE:
        return "hmac-sha256"
    if not isinstance(key, str):
        raise InvalidSignature("an asymmetric algorithm needs a PEM key")
    name = (algorithm or HS2019).lower()
    if name == RSA_SHA256:
        return RSA_V1_5_SHA256
    if name == HS2019:
        if "PRIVATE" in key:
            loaded: object = load_private_key(key)
        else:
            loaded = load_public_key(key)
        if isinstance(loaded, rsa.RSAPrivateKey | rsa.RSAPublicKey):
            return RSA_V1_5_SHA256
        if isinstance(loaded, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
            return ED25519
    raise InvalidSignature(f"unsupported algorithm {algorithm!r}")


def build_signature_header(
    key_id: str,
    algorithm: str,
    covered: tuple[str, ...],
    signature: bytes,
    created: int | None = None,
    expires: int | None = None,
) -> str:
    parts = [f'keyId="{key_id}"', f'algorithm="{algorithm}"']
    if created is not None:
        parts.append(f"created={created}")
    if expires is not None:
        parts.append(f"expires={expires}")
    parts.append(f'headers="{" ".join(covered)}"')
    parts.append(f'signature="{base64.b64encode(signature).decode("ascii")}"')
    return ",".join(parts)


def sign_cavage(
    method: str,
    path_with_query: str,
    headers: dict[str, str],
    covered: tuple[str, ...],
    key_id: str,
    key: KeyMaterial,
    algorithm: str = RSA_SHA256,
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """The `Signature` header value; `headers` must have lower-cased names."""
    signing_string = build_signing_string(
        method, path_with_query, headers, covered, created, expires
    )
    signature = sign_bytes(_crypto_algorithm(algorithm, key), key, signing_string.encode())
    return build_signature_header(key_id, algorithm, covered, signature, created, expires)


def verify_cavage(
    method: str,
    path_with_query: str,
    headers: dict[str, str],
    parsed: CavageSignature,
    key: KeyMaterial,
) -> None:
    """Check the cryptographic signature only; time and coverage policy is the caller's."""
    signing_string = build_signing_string(
        method, path_with_query, headers, parsed.headers, parsed.created, parsed.expires
    )
    primitive = _crypto_algorithm(parsed.algorithm, key)
    data = signing_string.encode()
    if (
        parsed.algorithm is not None
        and parsed.algorithm.lower() == HS2019
        and (primitive == RSA_V1_5_SHA256)
    ):
        try:
            verify_bytes(primitive, key, data, parsed.signature)
        except InvalidSignature:
            # A few servers mean RSASSA-PSS by hs2019, as the draft intended.
            verify_bytes(RSA_PSS_SHA512, key, data, parsed.signature)
        return
    verify_bytes(primitive, key, data, parsed.signature)


def find_signature_header(headers: dict[str, str]) -> str:
    value = headers.get("signature")
    if value is not None:
        return value
    authorization = headers.get("authorization", "")
    if authorization[:10].lower() == "signature ":
        return authorization
    raise MissingSignature("no Signature header")
