"""RFC 8941 structured fields as needed by RFC 9421, typed over `http_sf`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import http_sf

from federation.errors import InvalidSignature

Params = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Component:
    """A covered component identifier, e.g. ``"@query-param";name="Pet"``."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, key: str) -> Any:
        return dict(self.params).get(key)

    def serialize(self) -> str:
        return http_sf.ser(cast(Any, (self.name, dict(self.params))))


@dataclass(frozen=True, slots=True)
class SignatureInput:
    label: str
    components: tuple[Component, ...]
    params: Params


def serialize_signature_params(components: tuple[Component, ...], params: Params) -> str:
    inner = [(c.name, dict(c.params)) for c in components]
    return http_sf.ser(cast(Any, {"m": (inner, params)}))[len("m=") :]


def parse_dictionary(value: str, field: str) -> dict[str, tuple[Any, Params]]:
    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype="dictionary")
    except (http_sf.StructuredFieldError, UnicodeEncodeError, ValueError) as exc:
        raise InvalidSignature(f"{field} is not a structured dictionary") from exc
    members: dict[str, tuple[Any, Params]] = {}
    for name, member in cast(dict[str, Any], parsed).items():
        item, member_params = member
        members[name] = (item, dict(member_params))
    return members


def parse_signature_input(value: str) -> list[SignatureInput]:
    inputs: list[SignatureInput] = []
    for label, (inner, params) in parse_dictionary(value, "Signature-Input").items():
        if not isinstance(inner, list):
            raise InvalidSignature(f"Signature-Input {label} is not an inner list")
        components: list[Component] = []
        for name, component_params in inner:
            if not isinstance(name, str):
                raise InvalidSignature(f"Signature-Input {label} names a non-string component")
            components.append(Component(name.lower(), tuple(dict(component_params).items())))
        inputs.append(SignatureInput(label, tuple(components), params))
    return inputs


def parse_signature_values(value: str) -> dict[str, bytes]:
    values: dict[str, bytes] = {}
    for label, (item, _params) in parse_dictionary(value, "Signature").items():
        if not isinstance(item, bytes):
            raise InvalidSignature(f"Signature {label} is not a byte sequence")
        values[label] = item
    return values


def serialize_dictionary_member(item: Any, params: Params) -> str:
    return http_sf.ser(cast(Any, (item, params)))


def reserialize(value: str, field: str) -> str:
    """A field value parsed and serialised again (the `sf` component parameter)."""
    for kind in ("dictionary", "list", "item"):
        try:
            return http_sf.ser(http_sf.parse(value.encode("latin-1"), tltype=kind))
        except (http_sf.StructuredFieldError, UnicodeEncodeError, ValueError):
            continue
    raise InvalidSignature(f"{field} is not a structured field")
