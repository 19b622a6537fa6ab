"""RFC 9421 Appendix B vectors: exact signature bases, published signatures verify."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from federation.errors import InvalidSignature
from federation.http_headers import normalize_headers
from federation.signatures import rfc9421
from federation.structured_fields import parse_signature_input
from tests.federation.federation_support import SHARED, shared_path

VECTORS_FILE = SHARED / "vectors" / "http-signatures" / "rfc9421" / "appendix-b.json"
PROXY_FORWARDED = "for=192.0.2.123;host=example.com;proto=https"
PROXY_URI = "https://origin.host.internal.example/foo?param=Value&Pet=dog"


def _examples() -> list[dict[str, Any]]:
    if not VECTORS_FILE.exists():
        return []
    data = json.loads(VECTORS_FILE.read_text())
    return [*data["examples"], *data["extra_examples"]]


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (shared_path("vectors", "http-signatures", "rfc9421") / "appendix-b.json").read_text()
    )
    return data


def _key(keyid: str, private: bool) -> str | bytes:
    folder: Path = shared_path("vectors", "http-signatures", "rfc9421")
    if keyid == "test-shared-secret":
        return base64.b64decode((folder / "test-shared-secret.b64").read_text().strip())
    return (folder / f"{keyid}.{'private' if private else 'public'}.pem").read_text()


def _message(vectors: dict[str, Any], example: dict[str, Any]) -> rfc9421.HttpMessage:
    if example["message"] == "response":
        response = vectors["messages"]["response"]
        headers = normalize_headers([tuple(p) for p in response["headers"]])
        return rfc9421.HttpMessage(headers=headers, status=response["status"])
    request = vectors["messages"]["request"]
    headers = normalize_headers([tuple(p) for p in request["headers"]])
    target_uri = request["target_uri"]
    if example["id"] == "4.3-proxy_sig":
        headers["forwarded"] = PROXY_FORWARDED
        target_uri = PROXY_URI
    return rfc9421.HttpMessage(headers=headers, method=request["method"], target_uri=target_uri)


def _signature(example: dict[str, Any], value: bytes) -> rfc9421.Rfc9421Signature:
    (signature_input,) = parse_signature_input(f"{example['label']}={example['signature_params']}")
    return rfc9421.Rfc9421Signature(example["label"], signature_input, value)


@pytest.mark.parametrize("example", _examples(), ids=lambda e: e["id"])
def test_signature_base_is_exact(vectors: dict[str, Any], example: dict[str, Any]) -> None:
    signature = _signature(example, b"")
    base = rfc9421.build_signature_base(
        _message(vectors, example),
        signature.signature_input.components,
        signature.signature_input.params,
    )
    assert base == example["signature_base"]


@pytest.mark.parametrize("example", _examples(), ids=lambda e: e["id"])
def test_published_signature_verifies(vectors: dict[str, Any], example: dict[str, Any]) -> None:
    message = _message(vectors, example)
    published = _signature(example, base64.b64decode(example["signature"]))
    key = _key(example["keyid"], private=False)

    rfc9421.verify_message(message, published, key, algorithm=example["alg"])

    tampered = _signature(example, bytes(len(published.signature)))
    with pytest.raises(InvalidSignature):
        rfc9421.verify_message(message, tampered, key, algorithm=example["alg"])


@pytest.mark.parametrize("example", _examples(), ids=lambda e: e["id"])
def test_own_signature_verifies_and_deterministic_ones_match(
    vectors: dict[str, Any], example: dict[str, Any]
) -> None:
    # Given the example's message, components and parameters
    message = _message(vectors, example)
    template = _signature(example, b"")
    label = example["label"]

    # When we sign with the private key
    headers = rfc9421.sign_message(
        message,
        template.signature_input.components,
        template.signature_input.params,
        _key(example["keyid"], private=True),
        label=label,
        algorithm=example["alg"],
    )

    # Then the Signature-Input is the published one, the signature verifies,
    # and deterministic algorithms reproduce the published bytes
    assert headers["Signature-Input"] == f"{label}={example['signature_params']}"
    if example["deterministic"]:
        assert headers["Signature"] == f"{label}=:{example['signature']}:"
    signed = {**message.headers, **{k.lower(): v for k, v in headers.items()}}
    (own,) = rfc9421.parse_signatures(signed)
    rfc9421.verify_message(
        message, own, _key(example["keyid"], private=False), algorithm=example["alg"]
    )


def test_signed_alg_must_agree_with_the_key_algorithm(vectors: dict[str, Any]) -> None:
    example = next(e for e in _examples() if e["id"] == "4.3-proxy_sig")
    published = _signature(example, base64.b64decode(example["signature"]))
    with pytest.raises(InvalidSignature, match="does not match"):
        rfc9421.verify_message(
            _message(vectors, example), published, _key("test-key-rsa", False), "rsa-pss-sha512"
        )


def test_query_param_and_dictionary_key_components(vectors: dict[str, Any]) -> None:
    request = vectors["messages"]["request"]
    headers = normalize_headers([tuple(p) for p in request["headers"]])
    headers["example-dict"] = " a=1,    b=2;x=1;y=2,   c=(a   b   c)"
    message = rfc9421.HttpMessage(headers, request["method"], request["target_uri"])
    (entry,) = parse_signature_input(
        'sig=("example-dict";key="b" "example-dict";sf "@query-param";name="param" "@scheme")'
    )
    base = rfc9421.build_signature_base(message, entry.components, {})
    assert base.splitlines()[:4] == [
        '"example-dict";key="b": 2;x=1;y=2',
        '"example-dict";sf: a=1, b=2;x=1;y=2, c=(a b c)',
        '"@query-param";name="param": Value',
        '"@scheme": https',
    ]
