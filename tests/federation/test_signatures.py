"""sign_request → verify_request round trips for both schemes, and what must be refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.errors import (
    DigestMismatch,
    ExpiredSignature,
    InvalidSignature,
    MissingSignature,
)
from federation.keys import KeyPair, generate_rsa_keypair
from federation.signatures import (
    Scheme,
    cavage,
    sign_request,
    signature_key_id,
    verify_request,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
INBOX = "https://jonction.test/inbox?x=1"
KEY_ID = "https://paquis.test/actors/repair-cafe#main-key"
BODY = b'{"type": "Follow"}'


def _signed_post(keys: KeyPair, scheme: Scheme, body: bytes = BODY) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign_request("POST", INBOX, headers, body, KEY_ID, keys.private_pem, scheme, now=NOW)
    )
    return headers


def _verify(
    keys: KeyPair,
    headers: dict[str, str] | list[tuple[str, str]],
    body: bytes | None = BODY,
    method: str = "POST",
    now: datetime = NOW,
    **kwargs: object,
) -> object:
    return verify_request(
        method, "/inbox?x=1", "jonction.test", headers, body, keys.public_pem, now=now, **kwargs
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("scheme", list(Scheme))
def test_post_round_trip(rsa_keys: KeyPair, scheme: Scheme) -> None:
    # Given a POST signed with one scheme
    headers = _signed_post(rsa_keys, scheme)

    # When the receiver verifies it, with header names in another case
    verified = _verify(rsa_keys, [(k.upper(), v) for k, v in headers.items()])

    # Then it learns the key and the scheme
    assert verified.key_id == KEY_ID  # type: ignore[attr-defined]
    assert verified.scheme is scheme  # type: ignore[attr-defined]
    assert signature_key_id(headers) == (scheme, KEY_ID)


def test_cavage_post_covers_what_mastodon_requires(rsa_keys: KeyPair) -> None:
    headers = _signed_post(rsa_keys, Scheme.CAVAGE)
    assert 'headers="(request-target) host date digest content-type"' in headers["Signature"]
    assert headers["Host"] == "jonction.test"
    assert headers["Date"] == "Fri, 20 Nov 2026 12:00:00 GMT"
    assert headers["Digest"].startswith("SHA-256=")


def test_rfc9421_post_covers_method_target_and_content_digest(rsa_keys: KeyPair) -> None:
    headers = _signed_post(rsa_keys, Scheme.RFC9421)
    assert headers["Signature-Input"] == (
        f'sig1=("@method" "@target-uri" "content-digest");created={int(NOW.timestamp())};'
        f'keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    assert headers["Content-Digest"].startswith("sha-256=:")


@pytest.mark.parametrize("scheme", list(Scheme))
def test_get_round_trip(rsa_keys: KeyPair, scheme: Scheme) -> None:
    headers = sign_request(
        "GET",
        "https://jonction.test/inbox?x=1",
        {},
        None,
        KEY_ID,
        rsa_keys.private_pem,
        scheme,
        now=NOW,
    )
    assert "Digest" not in headers and "Content-Digest" not in headers
    verified = _verify(rsa_keys, headers, body=None, method="GET")
    assert verified.scheme is scheme  # type: ignore[attr-defined]


def test_cavage_get_signs_host(rsa_keys: KeyPair) -> None:
    headers = sign_request(
        "GET", "https://jonction.test/a", {}, None, KEY_ID, rsa_keys.private_pem, Scheme.CAVAGE
    )
    assert 'headers="(request-target) host date"' in headers["Signature"]


@pytest.mark.parametrize("scheme", list(Scheme))
def test_tampered_body_is_a_digest_mismatch(rsa_keys: KeyPair, scheme: Scheme) -> None:
    headers = _signed_post(rsa_keys, scheme)
    with pytest.raises(DigestMismatch):
        _verify(rsa_keys, headers, body=b'{"type": "Delete"}')


@pytest.mark.parametrize("scheme", list(Scheme))
def test_tampered_digest_header_breaks_the_signature(rsa_keys: KeyPair, scheme: Scheme) -> None:
    # Given an attacker who replaces body and digest together
    other = b'{"type": "Delete"}'
    forged = _signed_post(rsa_keys, scheme, body=other)
    headers = _signed_post(rsa_keys, scheme)
    for name in ("Digest", "Content-Digest"):
        if name in headers:
            headers[name] = forged[name]
    # Then the signature no longer verifies
    with pytest.raises(InvalidSignature, match="signature does not verify"):
        _verify(rsa_keys, headers, body=other)


@pytest.mark.parametrize("scheme", list(Scheme))
def test_other_key_is_refused(rsa_keys: KeyPair, scheme: Scheme) -> None:
    headers = _signed_post(generate_rsa_keypair(1024), scheme)
    with pytest.raises(InvalidSignature, match="signature does not verify"):
        _verify(rsa_keys, headers)


@pytest.mark.parametrize("scheme", list(Scheme))
def test_wrong_target_is_refused(rsa_keys: KeyPair, scheme: Scheme) -> None:
    headers = _signed_post(rsa_keys, scheme)
    with pytest.raises(InvalidSignature, match="signature does not verify"):
        verify_request(
            "POST", "/users/x/inbox", "jonction.test", headers, BODY, rsa_keys.public_pem, now=NOW
        )


def test_tampered_date_within_window_breaks_the_signature(rsa_keys: KeyPair) -> None:
    headers = _signed_post(rsa_keys, Scheme.CAVAGE)
    headers["Date"] = "Fri, 20 Nov 2026 12:00:05 GMT"
    with pytest.raises(InvalidSignature, match="signature does not verify"):
        _verify(rsa_keys, headers)


@pytest.mark.parametrize("scheme", list(Scheme))
@pytest.mark.parametrize("offset", [timedelta(hours=2), -timedelta(hours=2)])
def test_date_outside_window_is_expired(
    rsa_keys: KeyPair, scheme: Scheme, offset: timedelta
) -> None:
    headers = _signed_post(rsa_keys, scheme)
    with pytest.raises(ExpiredSignature):
        _verify(rsa_keys, headers, now=NOW + offset)


def test_window_is_configurable(rsa_keys: KeyPair) -> None:
    headers = _signed_post(rsa_keys, Scheme.RFC9421)
    _verify(rsa_keys, headers, now=NOW + timedelta(hours=2), max_skew=timedelta(hours=3))
    with pytest.raises(ExpiredSignature):
        _verify(rsa_keys, headers, now=NOW + timedelta(minutes=2), max_skew=timedelta(minutes=1))


def test_unsigned_request_is_missing(rsa_keys: KeyPair) -> None:
    with pytest.raises(MissingSignature):
        _verify(rsa_keys, {"Date": "x"})
    with pytest.raises(MissingSignature):
        signature_key_id({})


def test_post_without_signed_digest_is_refused(rsa_keys: KeyPair) -> None:
    # Given a draft-cavage POST that signs only (request-target) host date
    headers = sign_request(
        "GET", INBOX, {}, None, KEY_ID, rsa_keys.private_pem, Scheme.CAVAGE, now=NOW
    )
    signature = headers["Signature"]
    parsed = cavage.parse_signature_header(signature)
    post_header = cavage.sign_cavage(
        "POST",
        "/inbox?x=1",
        {k.lower(): v for k, v in headers.items()},
        parsed.headers,
        KEY_ID,
        rsa_keys.private_pem,
    )
    headers["Signature"] = post_header
    # Then the receiver refuses it: Mastodon requires a signed Digest on POST
    with pytest.raises(InvalidSignature, match="Digest"):
        _verify(rsa_keys, headers)


def test_post_without_any_digest_header_is_refused(rsa_keys: KeyPair) -> None:
    headers = _signed_post(rsa_keys, Scheme.CAVAGE)
    del headers["Digest"]
    with pytest.raises(DigestMismatch, match="must carry Digest or Content-Digest"):
        _verify(rsa_keys, headers)


def test_request_target_must_be_signed(rsa_keys: KeyPair) -> None:
    headers = {"host": "jonction.test", "date": "Fri, 20 Nov 2026 12:00:00 GMT"}
    headers["signature"] = cavage.sign_cavage(
        "GET", "/inbox?x=1", headers, ("host", "date"), KEY_ID, rsa_keys.private_pem
    )
    with pytest.raises(InvalidSignature, match=r"^\(request-target\) must be signed$"):
        _verify(rsa_keys, headers, body=None, method="GET")


def test_rfc9421_without_created_is_refused(rsa_keys: KeyPair) -> None:
    headers = _signed_post(rsa_keys, Scheme.RFC9421)
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        f"created={int(NOW.timestamp())};", ""
    )
    with pytest.raises(InvalidSignature, match="created"):
        _verify(rsa_keys, headers)


def test_ed25519_keys_sign_hs2019_and_rfc9421() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    keys = KeyPair(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )
    for scheme in Scheme:
        headers = _signed_post(keys, scheme)
        assert _verify(keys, headers).scheme is scheme  # type: ignore[attr-defined]
    assert 'algorithm="hs2019"' in _signed_post(keys, Scheme.CAVAGE)["Signature"]
