"""RFC 9421 HTTP Message Signatures: signature base, signing and verification.

Mastodon accepts RFC 9421 since 4.5 with `rsa-v1_5-sha256`, a signed `created`
and a covered `Content-Digest`; it still signs draft-cavage first when it sends.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from federation.errors import InvalidSignature, MissingSignature
from federation.keys import load_private_key, load_public_key
from federation.signatures.algorithms import (
    RFC9421_ALGORITHMS,
    KeyMaterial,
    default_algorithm,
    sign_bytes,
    verify_bytes,
)
from federation.structured_fields import (
    Component,
    Params,
    SignatureInput,
    parse_dictionary,
    parse_signature_input,
    parse_signature_values,
    reserialize,
    serialize_dictionary_member,
    serialize_signature_params,
)


@dataclass(frozen=True, slots=True)
class HttpMessage:
    """What a signature base is computed from: a request (method + URI) or a response (status)."""

    headers: dict[str, str]  # lower-cased names, combined values
    method: str | None = None
    target_uri: str | None = None
    status: int | None = None

    def split_uri(self) -> Any:
        if self.target_uri is None:
            raise InvalidSignature("a derived request component was asked of a response")
        return urlsplit(self.target_uri)


@dataclass(frozen=True, slots=True)
class Rfc9421Signature:
    label: str
    signature_input: SignatureInput
    signature: bytes

    @property
    def key_id(self) -> str | None:
        keyid = self.signature_input.params.get("keyid")
        return keyid if isinstance(keyid, str) else None

    @property
    def covered(self) -> list[str]:
        return [c.name for c in self.signature_input.components]


def _authority(parts: Any) -> str:
    if not parts.hostname:
        raise InvalidSignature("@authority covered on a target without a host")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{host}:{port}" if port is not None and port != default else host


def _query_param(parts: Any, name: object) -> str:
    if not isinstance(name, str):
        raise InvalidSignature("@query-param needs a name parameter")
    values = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == name]
    if len(values) != 1:
        raise InvalidSignature(f"@query-param {name!r} is absent or repeated")
    return quote(values[0], safe="")


def _derived_value(message: HttpMessage, component: Component) -> str:
    if component.name == "@status":
        if message.status is None:
            raise InvalidSignature("@status covered on a request")
        return str(message.status)
    if component.name == "@method":
        if message.method is None:
            raise InvalidSignature("@method covered on a response")
        return message.method
    parts = message.split_uri()
    path = parts.path or "/"
    match component.name:
        case "@target-uri":
            return str(message.target_uri)
        case "@authority":
            return _authority(parts)
        case "@scheme":
            return str(parts.scheme).lower()
        case "@request-target":
            return f"{path}?{parts.query}" if parts.query else path
        case "@path":
            return str(path)
        case "@query":
            return f"?{parts.query}"
        case "@query-param":
            return _query_param(parts, component.param("name"))
    raise InvalidSignature(f"unknown derived component {component.name}")


def _field_value(message: HttpMessage, component: Component) -> str:
    value = message.headers.get(component.name)
    if value is None:
        raise InvalidSignature(f"covered field {component.name} is absent")
    key = component.param("key")
    if key is not None:
        members = parse_dictionary(value, component.name)
        if key not in members:
            raise InvalidSignature(f"{component.name} has no member {key!r}")
        return serialize_dictionary_member(*members[key])
    if component.param("sf"):
        return reserialize(value, component.name)
    if component.param("bs") or component.param("req") or component.param("tr"):
        raise InvalidSignature(f"unsupported component parameter on {component.name}")
    return value


def build_signature_base(
    message: HttpMessage, components: Iterable[Component], params: Params
) -> str:
    covered = tuple(components)
    lines: list[str] = []
    seen: set[str] = set()
    for component in covered:
        identifier = component.serialize()
        if identifier in seen:
            raise InvalidSignature(f"component {identifier} covered twice")
        seen.add(identifier)
        if component.name.startswith("@"):
            value = _derived_value(message, component)
        else:
            value = _field_value(message, component)
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {serialize_signature_params(covered, params)}')
    return "\n".join(lines)


def sign_message(
    message: HttpMessage,
    components: Iterable[Component],
    params: Params,
    key: KeyMaterial,
    label: str = "sig1",
    algorithm: str | None = None,
) -> dict[str, str]:
    """The `Signature-Input` and `Signature` headers for `message`.

    `params` is emitted in the order given (e.g. created, keyid, alg); when it
    carries no `alg` the algorithm is inferred from the key.
    """
    covered = tuple(components)
    signed_alg = params.get("alg")
    algorithm = algorithm or (signed_alg if isinstance(signed_alg, str) else None)
    if algorithm is None:
        if not isinstance(key, str):
            raise InvalidSignature("an HMAC signature needs an explicit alg")
        algorithm = default_algorithm(load_private_key(key))
    base = build_signature_base(message, covered, params)
    signature = sign_bytes(algorithm, key, base.encode())
    return {
        "Signature-Input": f"{label}={serialize_signature_params(covered, params)}",
        "Signature": f"{label}=:{base64.b64encode(signature).decode('ascii')}:",
    }


def parse_signatures(headers: dict[str, str]) -> list[Rfc9421Signature]:
    """Every labelled signature present in both Signature-Input and Signature."""
    raw_input = headers.get("signature-input")
    raw_signature = headers.get("signature")
    if raw_input is None or raw_signature is None:
        raise MissingSignature("Signature-Input and Signature are both required")
    values = parse_signature_values(raw_signature)
    found = [
        Rfc9421Signature(entry.label, entry, values[entry.label])
        for entry in parse_signature_input(raw_input)
        if entry.label in values
    ]
    if not found:
        raise MissingSignature("no Signature-Input label has a matching Signature")
    return found


def verify_message(
    message: HttpMessage,
    signature: Rfc9421Signature,
    key: KeyMaterial,
    algorithm: str | None = None,
) -> None:
    """Check the cryptographic signature only; time and coverage policy is the caller's.

    `algorithm` is what the verifier knows of the key out of band (RFC 9421
    §3.2); it must agree with a signed `alg` parameter when both are present.
    """
    params = signature.signature_input.params
    signed_alg = params.get("alg")
    if algorithm is not None and signed_alg is not None and signed_alg != algorithm:
        raise InvalidSignature(f"signed alg {signed_alg!r} does not match the key's {algorithm!r}")
    algorithm = algorithm or signed_alg
    if algorithm is None:
        if not isinstance(key, str):
            raise InvalidSignature("an HMAC signature needs an explicit alg")
        algorithm = default_algorithm(load_public_key(key))
    if algorithm not in RFC9421_ALGORITHMS:
        raise InvalidSignature(f"unsupported alg {algorithm!r}")
    base = build_signature_base(message, signature.signature_input.components, params)
    verify_bytes(str(algorithm), key, base.encode(), signature.signature)
