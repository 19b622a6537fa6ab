"""Integrity proofs of signatures (FEP-8b32, ``eddsa-jcs-2022``): a resident's vote is signed
with their Ed25519 key, so the collection of a petition's signatures can be checked again by
anyone who holds it, long after the HTTP request that carried each one."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.integrity import (
    InvalidProofKey,
    ProofCheck,
    build_multikey,
    decode_public_multikey,
    encode_public_multikey,
    generate_ed25519_keypair,
    load_ed25519_private_key,
    multikey_id,
    sign_object,
    verify_object,
)
from storage.models import Actor


def assertion_key(actor: Actor) -> Ed25519PrivateKey:
    """The Ed25519 key of one of our actors, made the first time it is needed."""
    if actor.assertion_private_pem is None:
        pair = generate_ed25519_keypair()
        actor.assertion_private_pem = pair.private_pem
        key = load_ed25519_private_key(pair.private_pem)
        actor.assertion_key = encode_public_multikey(key.public_key())
        return key
    return load_ed25519_private_key(actor.assertion_private_pem)


def assertion_method(actor: Actor) -> list[dict[str, str]]:
    """What an actor document lists under ``assertionMethod`` (nothing before it has a key)."""
    if actor.assertion_key is None:
        return []
    public = decode_public_multikey(actor.assertion_key)
    return [build_multikey(actor.uri, public)]


def signed(actor: Actor, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the integrity proof of one of our ``actor``s (a key made if need be)."""
    return sign_with(assertion_key(actor), actor, document)


def sign_with(key: Ed25519PrivateKey, actor: Actor, document: dict[str, Any]) -> dict[str, Any]:
    return sign_object(document, key, multikey_id(actor.uri))


def check(document: dict[str, Any], signer: Actor) -> ProofCheck:
    """Whether ``document`` carries a valid proof by ``signer``'s published key."""
    if signer.assertion_key is None:
        return ProofCheck(False, "the signer publishes no Ed25519 key")
    try:
        public = decode_public_multikey(signer.assertion_key)
    except InvalidProofKey as error:
        return ProofCheck(False, f"the signer's key cannot be read: {error}")
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    if method != multikey_id(signer.uri):
        return ProofCheck(False, "the proof is not made with the signer's key")
    return verify_object(document, public)
