"""Object integrity proofs (FEP-8b32, eddsa-jcs-2022): the W3C vectors step by step, then ours."""

from __future__ import annotations

import copy
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.integrity import (
    DATA_INTEGRITY_CONTEXT,
    InvalidProofKey,
    ProofCheck,
    build_multikey,
    decode_public_multikey,
    decode_secret_multikey,
    encode_public_multikey,
    encode_secret_multikey,
    generate_ed25519_keypair,
    load_ed25519_private_key,
    multikey_id,
    sign_object,
    verification_method_of,
    verify_object,
)
from federation.integrity.multibase import decode_multibase, encode_multibase
from federation.integrity.proofs import (
    build_proof_config,
    canonical_json,
    format_created,
    hash_data,
)
from federation.keys import KeyPair, load_public_key
from tests.federation.federation_support import shared_path

# The W3C vectors (vc-di-eddsa, eddsa-jcs-2022) ------------------------------------------------


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


# Our own petition signatures --------------------------------------------------------------------

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
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


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


# Keys: storage and Multikey publication ---------------------------------------------------------


def test_multikey_of_an_actor(key: Ed25519PrivateKey) -> None:
    multikey = build_multikey(VOTER, key.public_key())
    assert multikey == {
        "id": f"{VOTER}#ed25519-key",
        "type": "Multikey",
        "controller": VOTER,
        "publicKeyMultibase": encode_public_multikey(key.public_key()),
    }
    assert multikey["publicKeyMultibase"].startswith("z6Mk")
    assert decode_public_multikey(multikey["publicKeyMultibase"]) == key.public_key()


def test_secret_multikey_round_trip(key: Ed25519PrivateKey) -> None:
    encoded = encode_secret_multikey(key)
    assert decode_multibase(encoded)[:2] == b"\x80\x26"
    assert decode_secret_multikey(encoded).private_bytes_raw() == bytes(range(32))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (encode_multibase(b"\x80\x26" + bytes(32)), "multicodec header '8026', expected 'ed01'"),
        (encode_multibase(b"\xe7\x01" + bytes(33)), "multicodec header 'e701', expected 'ed01'"),
        (encode_multibase(b"\xed\x01" + bytes(31)), "31 key bytes, expected 32"),
        (encode_multibase(b"\xed\x01" + bytes(33)), "33 key bytes, expected 32"),
        (encode_multibase(b""), "multicodec header '', expected 'ed01'"),
        ("6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "no 'z' prefix"),
        ("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ0", "'0' is not a base58btc character"),
    ],
)
def test_public_multikey_rejects_what_is_not_an_ed25519_public_key(value: str, reason: str) -> None:
    with pytest.raises(InvalidProofKey) as raised:
        decode_public_multikey(value)
    assert reason in str(raised.value)


def test_secret_multikey_rejects_a_public_key(key: Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidProofKey, match="header 'ed01', expected '8026'"):
        decode_secret_multikey(encode_public_multikey(key.public_key()))


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


@pytest.mark.parametrize("pem", ["", "garbage", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END"])
def test_unreadable_stored_keys_raise(pem: str) -> None:
    with pytest.raises(InvalidProofKey, match=r"^unreadable private key"):
        load_ed25519_private_key(pem)


def test_a_stored_rsa_key_is_refused(rsa_keys: KeyPair) -> None:
    with pytest.raises(InvalidProofKey, match=r"^not an Ed25519 private key but RSAPrivateKey$"):
        load_ed25519_private_key(rsa_keys.private_pem)


@pytest.mark.parametrize("data", [b"", b"\0", b"\0\0\x01", b"\x01\0", bytes(range(64))])
def test_multibase_round_trip_keeps_leading_zeros(data: bytes) -> None:
    encoded = encode_multibase(data)
    assert encoded.startswith("z")
    assert decode_multibase(encoded) == data


def test_multibase_refuses_values_longer_than_any_we_read() -> None:
    assert len(decode_multibase("z" + "z" * 128)) == 94
    with pytest.raises(ValueError, match="longer than 128 characters"):
        decode_multibase("z" + "z" * 129)


def test_multibase_known_value() -> None:
    assert encode_multibase(b"hello world") == "zStV1DL6CwTryKyV"
    assert encode_multibase(b"\0\0hello world") == "z11StV1DL6CwTryKyV"


def test_created_is_written_in_utc_whatever_the_servers_own_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a server whose clock is set to Geneva's time
    monkeypatch.setenv("TZ", "Europe/Zurich")
    time.tzset()
    try:
        # When a moment given in UTC, and one given in Geneva's winter time, are written
        in_utc = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
        in_geneva = datetime(2026, 3, 14, 10, 30, tzinfo=timezone(timedelta(hours=1)))
        # Then both are the same moment in UTC, marked Z
        assert format_created(in_utc) == format_created(in_geneva) == "2026-03-14T09:30:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()
