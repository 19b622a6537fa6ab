"""Object integrity proofs (FEP-8b32, eddsa-jcs-2022): the W3C vectors (vc-di-eddsa), step by step."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.integrity import (
    ProofCheck,
    decode_public_multikey,
    decode_secret_multikey,
    encode_public_multikey,
    encode_secret_multikey,
    sign_object,
    verification_method_of,
    verify_object,
)
from federation.integrity.multibase import decode_multibase, encode_multibase
from federation.integrity.proofs import (
    build_proof_config,
    canonical_json,
    hash_data,
)
from tests.federation.federation_support import shared_path


@pytest.fixture(scope="module")
def vectors() -> Path:
    return shared_path("vectors", "integrity-proofs")


def _text(vectors: Path, name: str) -> str:
    return (vectors / "eddsa-jcs-2022" / name).read_text()


def _json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _vector_key(vectors: Path) -> Ed25519PrivateKey:
    # The vectors' file names the secret key privateKeyMultibase (header 0x80 0x26).
    return decode_secret_multikey(_json(vectors / "keyPair.json")["privateKeyMultibase"])


def _vector_config(vectors: Path) -> dict[str, Any]:
    return _json(vectors / "eddsa-jcs-2022" / "proofConfigJCS.json")


def _build_vector_config(vectors: Path) -> dict[str, Any]:
    published = _vector_config(vectors)
    return build_proof_config(
        _json(vectors / "unsigned.json"),
        published["verificationMethod"],
        datetime.fromisoformat(published["created"]),
    )


def test_vector_key_pair_loads_and_encodes_back(vectors: Path) -> None:
    pair = _json(vectors / "keyPair.json")
    private = decode_secret_multikey(pair["privateKeyMultibase"])
    public = decode_public_multikey(pair["publicKeyMultibase"])
    assert encode_public_multikey(private.public_key()) == pair["publicKeyMultibase"]
    assert encode_public_multikey(public) == pair["publicKeyMultibase"]
    assert encode_secret_multikey(private) == pair["privateKeyMultibase"]


def test_vector_canonical_document(vectors: Path) -> None:
    canonical = canonical_json(_json(vectors / "unsigned.json"))
    assert canonical.decode() == _text(vectors, "canonDocJCS.txt")
    assert hashlib.sha256(canonical).hexdigest() == _text(vectors, "docHashJCS.txt")


def test_vector_proof_config(vectors: Path) -> None:
    config = _build_vector_config(vectors)
    assert config == _vector_config(vectors)
    canonical = canonical_json(config)
    assert canonical.decode() == _text(vectors, "proofCanonJCS.txt")
    assert hashlib.sha256(canonical).hexdigest() == _text(vectors, "proofHashJCS.txt")


def test_vector_combined_hash_and_signature(vectors: Path) -> None:
    combined = hash_data(_json(vectors / "unsigned.json"), _build_vector_config(vectors))
    assert combined.hex() == _text(vectors, "combinedHashJCS.txt")
    signature = _vector_key(vectors).sign(combined)
    assert signature.hex() == _text(vectors, "sigHexJCS.txt")
    assert encode_multibase(signature) == _text(vectors, "sigBTC58JCS.txt")
    assert decode_multibase(_text(vectors, "sigBTC58JCS.txt")) == signature


def test_vector_document_signs_to_the_published_one(vectors: Path) -> None:
    published = _vector_config(vectors)
    signed = sign_object(
        _json(vectors / "unsigned.json"),
        _vector_key(vectors),
        published["verificationMethod"],
        created=datetime.fromisoformat(published["created"]),
    )
    assert signed == _json(vectors / "eddsa-jcs-2022" / "signedJCS.json")


def test_vector_signed_document_verifies(vectors: Path) -> None:
    signed = _json(vectors / "eddsa-jcs-2022" / "signedJCS.json")
    public = decode_public_multikey(_json(vectors / "keyPair.json")["publicKeyMultibase"])
    assert verify_object(signed, public) == ProofCheck(is_valid=True)
    assert verification_method_of(signed) == signed["proof"]["verificationMethod"]


def test_vector_signed_document_altered_fails(vectors: Path) -> None:
    signed = _json(vectors / "eddsa-jcs-2022" / "signedJCS.json")
    signed["credentialSubject"]["alumniOf"] = "Another School"
    public = decode_public_multikey(_json(vectors / "keyPair.json")["publicKeyMultibase"])
    assert verify_object(signed, public) == ProofCheck(
        False, "the signature does not match the document"
    )
