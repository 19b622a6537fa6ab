"""Object integrity proofs (FEP-8b32, eddsa-jcs-2022) on our petition signatures: what is signed,
what verifies, and every reason a proof is refused."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.integrity import (
    DATA_INTEGRITY_CONTEXT,
    ProofCheck,
    build_multikey,
    decode_public_multikey,
    generate_ed25519_keypair,
    load_ed25519_private_key,
    multikey_id,
    sign_object,
    verification_method_of,
    verify_object,
)
from federation.integrity.multibase import decode_multibase, encode_multibase
from federation.integrity.proofs import (
    format_created,
)
from federation.keys import KeyPair, load_public_key

VOTER = "https://paquis.test/users/amelie"
PETITION = "https://jonction.test/collectives/velos/petitions/3"
SIGNED_AT = datetime(2026, 3, 14, 10, 30, tzinfo=timezone(timedelta(hours=1)))
SIGNATURE_NOTE: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/activitystreams", DATA_INTEGRITY_CONTEXT],
    "id": f"{VOTER}#votes/12",
    "type": "Note",
    "name": "Je signe",
    "inReplyTo": PETITION,
    "attributedTo": VOTER,
    "to": ["https://jonction.test/collectives/velos"],
}
MISMATCH = ProofCheck(False, "the signature does not match the document")


@pytest.fixture
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


@pytest.fixture
def signed(key: Ed25519PrivateKey) -> dict[str, Any]:
    return sign_object(SIGNATURE_NOTE, key, multikey_id(VOTER), created=SIGNED_AT)


def test_signed_note_carries_the_proof_and_verifies(
    key: Ed25519PrivateKey, signed: dict[str, Any]
) -> None:
    # Given a resident's signature of a petition, signed with her Ed25519 key
    # Then the proof says how, by whom and when (in UTC), and it verifies with her public key
    proof = signed["proof"]
    assert {name: value for name, value in proof.items() if name != "proofValue"} == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": f"{VOTER}#ed25519-key",
        "proofPurpose": "assertionMethod",
        "created": "2026-03-14T09:30:00Z",
        "@context": SIGNATURE_NOTE["@context"],
    }
    assert len(decode_multibase(proof["proofValue"])) == 64
    assert {name: value for name, value in signed.items() if name != "proof"} == SIGNATURE_NOTE
    assert verify_object(signed, key.public_key()) == ProofCheck(True, "")
    assert verify_object(signed, key.public_key())


def test_signing_leaves_the_document_alone(key: Ed25519PrivateKey) -> None:
    note = copy.deepcopy(SIGNATURE_NOTE)
    signed = sign_object(note, key, multikey_id(VOTER), created=SIGNED_AT)
    signed["@context"].append("https://example.test/extra")
    signed["proof"]["@context"].append("https://example.test/extra")
    signed["to"].clear()
    assert note == SIGNATURE_NOTE


def test_created_defaults_to_now(key: Ed25519PrivateKey) -> None:
    signed = sign_object(SIGNATURE_NOTE, key, multikey_id(VOTER))
    created = datetime.fromisoformat(signed["proof"]["created"])
    assert signed["proof"]["created"].endswith("Z")
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=1)
    assert verify_object(signed, key.public_key())


def test_a_document_without_context_has_none_in_its_proof(key: Ed25519PrivateKey) -> None:
    plain = {name: value for name, value in SIGNATURE_NOTE.items() if name != "@context"}
    signed = sign_object(plain, key, multikey_id(VOTER), created=SIGNED_AT)
    assert "@context" not in signed["proof"]
    assert verify_object(signed, key.public_key())


@pytest.mark.parametrize(
    ("document", "created", "message"),
    [
        ({**SIGNATURE_NOTE, "proof": {}}, SIGNED_AT, "already carries a proof"),
        (SIGNATURE_NOTE, datetime(2026, 3, 14, 10, 30), "time zone"),
        ({**SIGNATURE_NOTE, "weight": float("nan")}, SIGNED_AT, "not representable"),
        ({**SIGNATURE_NOTE, "count": 2**60}, SIGNED_AT, "exceeds safe integer"),
    ],
    ids=["already-signed", "naive-created", "nan", "integer-beyond-json"],
)
def test_documents_that_cannot_be_signed_raise_value_error(
    key: Ed25519PrivateKey, document: dict[str, Any], created: datetime, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sign_object(document, key, multikey_id(VOTER), created=created)


DIP, JCS = "'DataIntegrityProof'", "'eddsa-jcs-2022'"
NO_ZONE = "is not a date-time with a time zone"


def _nested(depth: int) -> object:
    value: object = "fond"
    for _ in range(depth):
        value = [value]
    return value


def _tamper(document: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    tampered = copy.deepcopy(document)
    target = tampered
    for name in path[:-1]:
        target = target[name]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return tampered


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("name",), "Je ne signe pas"),
        (("inReplyTo",), "https://jonction.test/collectives/velos/petitions/4"),
        (("attributedTo",), "https://servette.test/users/mallory"),
        (("to",), None),
        (("content",), "added after signing"),
        (("proof", "created"), "2026-03-15T09:30:00Z"),
        (("proof", "verificationMethod"), "https://servette.test/users/mallory#ed25519-key"),
        (("proof", "@context"), None),
    ],
    ids=lambda part: "/".join(part) if isinstance(part, tuple) else None,
)
def test_tampered_content_fails(
    key: Ed25519PrivateKey, signed: dict[str, Any], path: tuple[str, ...], value: object
) -> None:
    assert verify_object(signed, key.public_key())
    assert verify_object(_tamper(signed, path, value), key.public_key()) == MISMATCH


def test_proof_value_of_another_document_fails(
    key: Ed25519PrivateKey, signed: dict[str, Any]
) -> None:
    # Given a valid signature of the same resident on another petition
    other = sign_object(
        {**SIGNATURE_NOTE, "inReplyTo": f"{PETITION}0"}, key, multikey_id(VOTER), SIGNED_AT
    )
    assert other["proof"]["proofValue"] != signed["proof"]["proofValue"]
    # When it is pasted into this one's proof, then it does not hold
    tampered = _tamper(signed, ("proof", "proofValue"), other["proof"]["proofValue"])
    assert verify_object(tampered, key.public_key()) == MISMATCH


def test_proof_value_with_one_character_changed_fails(
    key: Ed25519PrivateKey, signed: dict[str, Any]
) -> None:
    value = signed["proof"]["proofValue"]
    changed = value[:-1] + ("2" if value[-1] != "2" else "3")
    tampered = _tamper(signed, ("proof", "proofValue"), changed)
    assert verify_object(tampered, key.public_key()) == MISMATCH


def test_wrong_key_fails(other_key: Ed25519PrivateKey, signed: dict[str, Any]) -> None:
    assert verify_object(signed, other_key.public_key()) == MISMATCH


def test_a_key_that_is_not_ed25519_fails(signed: dict[str, Any], rsa_keys: KeyPair) -> None:
    check = verify_object(signed, load_public_key(rsa_keys.public_pem))  # type: ignore[arg-type]
    assert check == ProofCheck(False, "the key is not an Ed25519 key but RSAPublicKey")


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("type", "Ed25519Signature2020", f"proof type 'Ed25519Signature2020' is not {DIP}"),
        ("type", None, f"proof type None is not {DIP}"),
        ("cryptosuite", "eddsa-rdfc-2022", f"cryptosuite 'eddsa-rdfc-2022' is not {JCS}"),
        ("cryptosuite", None, f"cryptosuite None is not {JCS}"),
        (
            "proofPurpose",
            "authentication",
            "proofPurpose 'authentication' is not 'assertionMethod'",
        ),
        ("verificationMethod", None, "the proof names no verificationMethod"),
        ("verificationMethod", ["a", "b"], "the proof names no verificationMethod"),
        ("created", "2026-03-14", f"created '2026-03-14' {NO_ZONE}"),
        ("created", "2026-03-14T09:30:00", f"created '2026-03-14T09:30:00' {NO_ZONE}"),
        ("created", "2026-13-14T09:30:00Z", f"created '2026-13-14T09:30:00Z' {NO_ZONE}"),
        ("created", 1773480600, f"created a int {NO_ZONE}"),
        ("type", "x" * 10_000, f"proof type '{'x' * 60}'… is not {DIP}"),
        ("type", "y" * 60, f"proof type '{'y' * 60}' is not {DIP}"),  # shown whole up to 60
        ("cryptosuite", _nested(5000), f"cryptosuite a list is not {JCS}"),
        ("proofValue", None, "the proof has no proofValue"),
    ],
)
def test_unexpected_proof_options_fail_with_their_reason(
    key: Ed25519PrivateKey, signed: dict[str, Any], name: str, value: object, reason: str
) -> None:
    check = verify_object(_tamper(signed, ("proof", name), value), key.public_key())
    assert not check
    assert check.reason == reason


def test_an_expected_purpose_other_than_assertion(key: Ed25519PrivateKey) -> None:
    signed = sign_object(
        SIGNATURE_NOTE, key, multikey_id(VOTER), SIGNED_AT, proof_purpose="authentication"
    )
    assert not verify_object(signed, key.public_key())
    assert verify_object(signed, key.public_key(), proof_purpose="authentication")


@pytest.mark.parametrize(
    "proof_context",
    [
        ["https://www.w3.org/ns/activitystreams", "https://example.test/other"],
        [DATA_INTEGRITY_CONTEXT, "https://www.w3.org/ns/activitystreams"],
        "https://example.test/other",
        [*SIGNATURE_NOTE["@context"], "https://example.test/more"],
    ],
)
def test_a_proof_context_the_document_does_not_start_with_fails(
    key: Ed25519PrivateKey, signed: dict[str, Any], proof_context: object
) -> None:
    tampered = _tamper(signed, ("proof", "@context"), proof_context)
    assert verify_object(tampered, key.public_key()) == ProofCheck(
        False, "the document's @context does not start with the proof's"
    )


def test_a_proof_context_on_a_document_without_one_fails(
    key: Ed25519PrivateKey, signed: dict[str, Any]
) -> None:
    tampered = _tamper(signed, ("@context",), None)
    assert verify_object(tampered, key.public_key()) == ProofCheck(
        False, "the document's @context does not start with the proof's"
    )


def test_contexts_appended_after_signing_still_verify(
    key: Ed25519PrivateKey, signed: dict[str, Any]
) -> None:
    # Given a server that adds its own context after the resident signed
    extended = _tamper(
        signed, ("@context",), [*SIGNATURE_NOTE["@context"], {"qc": "https://paquis.test/ns#"}]
    )
    # Then the signed part is unchanged and the proof holds
    assert verify_object(extended, key.public_key()) == ProofCheck(True)


def test_a_string_context_matches_a_list_that_starts_with_it(key: Ed25519PrivateKey) -> None:
    note = {**SIGNATURE_NOTE, "@context": "https://www.w3.org/ns/activitystreams"}
    signed = sign_object(note, key, multikey_id(VOTER), created=SIGNED_AT)
    extended = {**signed, "@context": [note["@context"], DATA_INTEGRITY_CONTEXT]}
    assert verify_object(extended, key.public_key())


@pytest.mark.parametrize(
    "proof_value",
    [
        "",
        "z",
        "z0OIl",
        "zé",
        "u" + "A" * 86,
        "z" + "1" * 200,
        "z" + "z" * 90,
        encode_multibase(bytes(63)),
        encode_multibase(b"\x01" * 65),
        12,
        [
            "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
        ],
    ],
)
def test_garbage_proof_values_fail_without_raising(
    key: Ed25519PrivateKey, signed: dict[str, Any], proof_value: object
) -> None:
    check = verify_object(_tamper(signed, ("proof", "proofValue"), proof_value), key.public_key())
    assert check.is_valid is False
    assert "proofValue" in check.reason


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (None, "the document is not a JSON object"),
        ([SIGNATURE_NOTE], "the document is not a JSON object"),
        (SIGNATURE_NOTE, "the document carries no proof"),
        ({**SIGNATURE_NOTE, "proof": "z123"}, "the proof is not a JSON object"),
        ({**SIGNATURE_NOTE, "proof": [{}, {}]}, "a set of several proofs is not supported"),
    ],
    ids=["none", "list", "no-proof", "proof-string", "proof-set"],
)
def test_documents_without_a_usable_proof_fail(
    key: Ed25519PrivateKey, document: object, reason: str
) -> None:
    assert verify_object(document, key.public_key()) == ProofCheck(False, reason)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("weight", float("nan"), "the document cannot be canonicalised: 'nan is not representable"),
        ("count", 2**60, "the document cannot be canonicalised: '1152921504606846976 exceeds"),
        ("deep", _nested(5000), "the document is nested too deeply"),
    ],
)
def test_documents_json_cannot_carry_fail_without_raising(
    key: Ed25519PrivateKey, signed: dict[str, Any], name: str, value: object, reason: str
) -> None:
    check = verify_object({**signed, name: value}, key.public_key())
    assert check.is_valid is False
    assert check.reason.startswith(reason)


def test_deeply_nested_contexts_fail_without_raising(
    key: Ed25519PrivateKey, signed: dict[str, Any]
) -> None:
    tampered = _tamper(signed, ("proof", "@context"), _nested(5000))
    tampered["@context"] = _nested(5000)
    assert verify_object(tampered, key.public_key()) == ProofCheck(
        False, "the document is nested too deeply"
    )


@pytest.mark.parametrize(
    ("document", "method"),
    [
        ({"proof": {"verificationMethod": f"{VOTER}#ed25519-key"}}, f"{VOTER}#ed25519-key"),
        ({"proof": {"verificationMethod": ""}}, None),
        ({"proof": {"verificationMethod": {"id": VOTER}}}, None),
        ({"proof": [{"verificationMethod": VOTER}]}, None),
        ({"proof": "z123"}, None),
        ({}, None),
        ("not a document", None),
    ],
)
def test_verification_method_of(document: object, method: str | None) -> None:
    assert verification_method_of(document) == method


def test_stored_key_pair_signs_and_verifies() -> None:
    # Given a key pair made for a new actor and stored as PEM
    pair = generate_ed25519_keypair()
    assert pair.private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    # When it is loaded back and signs a petition signature
    private = load_ed25519_private_key(pair.private_pem)
    signed = sign_object(SIGNATURE_NOTE, private, multikey_id(VOTER))
    # Then the published Multikey checks it
    published = build_multikey(VOTER, private.public_key())
    assert verify_object(signed, decode_public_multikey(published["publicKeyMultibase"]))
    assert generate_ed25519_keypair().private_pem != pair.private_pem


def test_created_is_written_in_utc_whatever_the_servers_own_time_zone(
    clock_in_geneva: None,
) -> None:
    # Given a server whose clock is set to Geneva's time
    # When a moment given in UTC, and one given in Geneva's winter time, are written
    in_utc = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    in_geneva = datetime(2026, 3, 14, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    # Then both are the same moment in UTC, marked Z
    assert format_created(in_utc) == format_created(in_geneva) == "2026-03-14T09:30:00Z"
