"""Data Integrity proofs on objects (FEP-8b32), cryptosuite ``eddsa-jcs-2022``.

A petition signature made here carries a ``proof``, so whoever holds the signatures collection
can check each one against its signer's published key, without trusting the server that
relayed it. Signing and checking follow the eddsa-jcs-2022 cryptosuite:

- the *proof configuration* is the proof without ``proofValue``; when the document has an
  ``@context``, the configuration carries a copy of it;
- both the configuration and the document without its ``proof`` are canonicalised with JCS
  (RFC 8785);
- the signed bytes are ``SHA-256(configuration) || SHA-256(document)``, 64 bytes;
- ``proofValue`` is the 64-byte Ed25519 signature in base58btc multibase.

When checking, a proof that has an ``@context`` requires the document's ``@context`` to start
with the same entries in the same order, and the document is then hashed with the proof's
``@context``: a server may append contexts after signing, never change the signed ones.

Checking never raises on what a remote server sends: every refusal is a ``ProofCheck`` with its
reason. Which key to check with is the caller's business: ``verification_method_of`` names it,
and the caller must make sure that key belongs to the object's author.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature as BadSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.integrity.multibase import decode_multibase, encode_multibase

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
ASSERTION_METHOD = "assertionMethod"
# What FEP-8b32 asks an object with a proof to add to its @context.
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v2"
SIGNATURE_LENGTH = 64
SHOWN_LENGTH = 60
# XML Schema dateTimeStamp: a date-time whose zone is always given.
_DATE_TIME_STAMP = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """The outcome of checking a proof; true only when the signature holds."""

    is_valid: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.is_valid


VALID = ProofCheck(is_valid=True)


def canonical_json(value: Any) -> bytes:
    """JCS (RFC 8785) bytes; ValueError for values JSON cannot carry exactly (NaN, huge ints)."""
    return rfc8785.dumps(value)


def hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """The bytes an eddsa-jcs-2022 signature covers: both SHA-256 digests, configuration first."""
    return (
        hashlib.sha256(canonical_json(proof_config)).digest()
        + hashlib.sha256(canonical_json(document)).digest()
    )


def format_created(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("created must carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_proof_config(
    document: dict[str, Any],
    verification_method: str,
    created: datetime,
    proof_purpose: str = ASSERTION_METHOD,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_created(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in document:
        config["@context"] = copy.deepcopy(document["@context"])
    return config


def sign_object(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | None = None,
    proof_purpose: str = ASSERTION_METHOD,
) -> dict[str, Any]:
    """A copy of ``document`` with an eddsa-jcs-2022 ``proof``; ``created`` defaults to now.

    Raises ValueError when the document already has a proof or cannot be canonicalised.
    """
    if "proof" in document:
        raise ValueError("the document already carries a proof")
    config = build_proof_config(
        document, verification_method, created or datetime.now(UTC), proof_purpose
    )
    signature = private_key.sign(hash_data(document, config))
    return {
        **copy.deepcopy(document),
        "proof": {**config, "proofValue": encode_multibase(signature)},
    }


def verification_method_of(document: object) -> str | None:
    """The key id a document's proof names, to look the key up; None without a usable proof."""
    if not isinstance(document, dict):
        return None
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    return method if isinstance(method, str) and method else None


def verify_object(
    document: object,
    public_key: Ed25519PublicKey,
    proof_purpose: str = ASSERTION_METHOD,
) -> ProofCheck:
    """Check the document's eddsa-jcs-2022 proof with ``public_key``; never raises."""
    try:
        return _check(document, public_key, proof_purpose)
    except RecursionError:
        return ProofCheck(False, "the document is nested too deeply")


def _check(document: object, public_key: Ed25519PublicKey, proof_purpose: str) -> ProofCheck:
    if not isinstance(document, dict):
        return ProofCheck(False, "the document is not a JSON object")
    match document.get("proof"):
        case dict() as proof:
            pass
        case None:
            return ProofCheck(False, "the document carries no proof")
        case list():
            return ProofCheck(False, "a set of several proofs is not supported")
        case _:
            return ProofCheck(False, "the proof is not a JSON object")
    refusal = _refuse_proof_options(proof, proof_purpose)
    if refusal:
        return ProofCheck(False, refusal)
    try:
        signature = decode_multibase(proof["proofValue"])
    except ValueError as exc:
        return ProofCheck(False, f"proofValue is unreadable: {exc}")
    if len(signature) != SIGNATURE_LENGTH:
        return ProofCheck(False, f"proofValue holds {len(signature)} bytes, not {SIGNATURE_LENGTH}")

    options = {name: value for name, value in proof.items() if name != "proofValue"}
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    if "@context" in options:
        if not _starts_with(unsecured.get("@context"), options["@context"]):
            return ProofCheck(False, "the document's @context does not start with the proof's")
        unsecured["@context"] = options["@context"]
    try:
        signed_bytes = hash_data(unsecured, options)
    except ValueError as exc:
        return ProofCheck(False, f"the document cannot be canonicalised: {_shown(str(exc))}")
    if not isinstance(public_key, Ed25519PublicKey):
        return ProofCheck(False, f"the key is not an Ed25519 key but {type(public_key).__name__}")
    try:
        public_key.verify(signature, signed_bytes)
    except BadSignature:
        return ProofCheck(False, "the signature does not match the document")
    return VALID


def _refuse_proof_options(proof: dict[str, Any], proof_purpose: str) -> str | None:
    if proof.get("type") != PROOF_TYPE:
        return f"proof type {_shown(proof.get('type'))} is not {PROOF_TYPE!r}"
    if proof.get("cryptosuite") != CRYPTOSUITE:
        return f"cryptosuite {_shown(proof.get('cryptosuite'))} is not {CRYPTOSUITE!r}"
    if proof.get("proofPurpose") != proof_purpose:
        return f"proofPurpose {_shown(proof.get('proofPurpose'))} is not {proof_purpose!r}"
    if not isinstance(proof.get("verificationMethod"), str):
        return "the proof names no verificationMethod"
    if "created" in proof and not _is_date_time_stamp(proof["created"]):
        return f"created {_shown(proof['created'])} is not a date-time with a time zone"
    if not isinstance(proof.get("proofValue"), str):
        return "the proof has no proofValue"
    return None


def _shown(value: object) -> str:
    """A remote value for a refusal's reason: strings cut short, other values by their type."""
    if value is None:
        return "None"
    if not isinstance(value, str):
        return f"a {type(value).__name__}"
    return repr(value) if len(value) <= SHOWN_LENGTH else repr(value[:SHOWN_LENGTH]) + "…"


def _is_date_time_stamp(value: object) -> bool:
    if not isinstance(value, str) or not _DATE_TIME_STAMP.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _starts_with(document_context: object, proof_context: object) -> bool:
    expected, actual = _as_list(proof_context), _as_list(document_context)
    return actual[: len(expected)] == expected


def _as_list(context: object) -> list[object]:
    match context:
        case None:
            return []
        case list():
            return context
        case _:
            return [context]
