"""Object integrity proofs (FEP-8b32, eddsa-jcs-2022) and the Ed25519 Multikeys they name.

`multibase` (base58btc), `multikey` (Ed25519 keys: PEM storage, Multikey publication) and
`proofs` (sign and check a document's proof).
"""

from federation.integrity.multikey import (
    InvalidProofKey,
    build_multikey,
    decode_public_multikey,
    decode_secret_multikey,
    encode_public_multikey,
    encode_secret_multikey,
    generate_ed25519_keypair,
    load_ed25519_private_key,
    multikey_id,
)
from federation.integrity.proofs import (
    DATA_INTEGRITY_CONTEXT,
    ProofCheck,
    sign_object,
    verification_method_of,
    verify_object,
)

__all__ = [
    "DATA_INTEGRITY_CONTEXT",
    "InvalidProofKey",
    "ProofCheck",
    "build_multikey",
    "decode_public_multikey",
    "decode_secret_multikey",
    "encode_public_multikey",
    "encode_secret_multikey",
    "generate_ed25519_keypair",
    "load_ed25519_private_key",
    "multikey_id",
    "sign_object",
    "verification_method_of",
    "verify_object",
]
