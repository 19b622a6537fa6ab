"""What a verifier demands of a signature, at the edges: windows, coverage, keys and bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from federation.digest import build_content_digest, build_digest
from federation.errors import DigestMismatch, ExpiredSignature, InvalidSignature
from federation.keys import KeyPair
from federation.signatures import (
    Scheme,
    cavage,
    rfc9421,
    sign_request,
    signature_key_id,
    verify_request,
)
from federation.structured_fields import Component

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOST = "jonction.test"
PATH = "/inbox?x=1"
URL = f"https://{HOST}{PATH}"
KEY_ID = "https://paquis.test/users/lea#main-key"
BODY = b'{"type": "Follow"}'
MUST_SIGN_DIGEST = "a request with a body must sign Digest or Content-Digest"


def _cavage(
    keys: KeyPair,
    covered: tuple[str, ...],
    *,
    method: str = "GET",
    date: str | None = None,
    body: bytes | None = None,
    created: int | None = None,
    expires: int | None = None,
) -> dict[str, str]:
    headers = {"host": HOST, "date": date or format_datetime(NOW, usegmt=True)}
    if body is not None:
        headers["digest"] = build_digest(body)
    headers["signature"] = cavage.sign_cavage(
        method, PATH, headers, covered, KEY_ID, keys.private_pem, created=created, expires=expires
    )
    return headers


def _rfc9421(
    keys: KeyPair,
    components: tuple[str, ...],
    params: dict[str, object],
    *,
    method: str = "GET",
    body: bytes | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    headers = {"host": HOST}
    if body is not None:
        headers["content-digest"] = build_content_digest(body)
    message = rfc9421.HttpMessage(headers=headers, method=method, target_uri=URL)
    signed = rfc9421.sign_message(
        message,
        [Component(name) for name in components],
        params,  # type: ignore[arg-type]
        keys.private_pem,
        label=label,
        algorithm="rsa-v1_5-sha256",
    )
    return {**headers, **{k.lower(): v for k, v in signed.items()}}


def _verify(
    keys: KeyPair,
    headers: dict[str, str],
    *,
    method: str = "GET",
    body: bytes | None = None,
    now: datetime = NOW,
    max_skew: timedelta = timedelta(hours=1),
) -> object:
    return verify_request(
        method, PATH, HOST, headers, body, keys.public_pem, now=now, max_skew=max_skew
    )


def test_the_other_scheme_of_each_scheme() -> None:
    assert Scheme.CAVAGE.other is Scheme.RFC9421
    assert Scheme.RFC9421.other is Scheme.CAVAGE


def test_a_cavage_signature_reports_what_it_covered(rsa_keys: KeyPair) -> None:
    headers = _cavage(rsa_keys, ("(request-target)", "host", "date"))
    verified = _verify(rsa_keys, headers)
    assert verified.covered == ("(request-target)", "host", "date")  # type: ignore[attr-defined]
    assert verified.key_id == KEY_ID  # type: ignore[attr-defined]


@pytest.mark.parametrize("scheme", list(Scheme))
def test_a_signature_exactly_at_the_edge_of_the_window_is_taken(
    rsa_keys: KeyPair, scheme: Scheme
) -> None:
    # Given a GET signed at NOW
    headers = sign_request("GET", URL, {}, None, KEY_ID, rsa_keys.private_pem, scheme, now=NOW)

    # When it is verified exactly one window later, or one second more
    # Then the first is taken and the second refused
    _verify(rsa_keys, headers, now=NOW + timedelta(minutes=5), max_skew=timedelta(minutes=5))
    with pytest.raises(ExpiredSignature, match="is outside the accepted window"):
        _verify(
            rsa_keys,
            headers,
            now=NOW + timedelta(minutes=5, seconds=1),
            max_skew=timedelta(minutes=5),
        )


def test_a_moment_without_a_time_zone_is_taken_as_utc(rsa_keys: KeyPair) -> None:
    # Given a signature made at a naive moment, read as UTC
    headers = sign_request(
        "GET",
        URL,
        {},
        None,
        KEY_ID,
        rsa_keys.private_pem,
        Scheme.CAVAGE,
        now=NOW.replace(tzinfo=None),
    )
    # Then it is dated NOW in UTC, and verifies at a naive NOW
    assert headers["Date"] == "Fri, 20 Nov 2026 12:00:00 GMT"
    _verify(rsa_keys, headers, now=NOW.replace(tzinfo=None))


def test_signing_uses_the_host_without_credentials_and_a_root_path(rsa_keys: KeyPair) -> None:
    # Given an address with credentials, an upper-case host and no path
    headers = sign_request(
        "GET", "https://user:pw@Jonction.TEST", {}, None, KEY_ID, rsa_keys.private_pem,
        Scheme.CAVAGE, now=NOW,
    )  # fmt: skip
    # Then the Host is the lower-cased host alone, and the root path was signed
    assert headers["Host"] == HOST
    verify_request("GET", "/", HOST, headers, None, rsa_keys.public_pem, now=NOW)


def test_only_absolute_addresses_can_be_signed(rsa_keys: KeyPair) -> None:
    with pytest.raises(ValueError, match="not an absolute URL"):
        sign_request("GET", "/inbox", {}, None, KEY_ID, rsa_keys.private_pem, Scheme.CAVAGE)


def test_a_cavage_post_without_content_type_does_not_cover_it(rsa_keys: KeyPair) -> None:
    headers = sign_request(
        "POST", URL, {}, BODY, KEY_ID, rsa_keys.private_pem, Scheme.CAVAGE, now=NOW
    )
    assert 'headers="(request-target) host date digest"' in headers["Signature"]
    assert 'algorithm="rsa-sha256"' in headers["Signature"]
    _verify(rsa_keys, headers, method="POST", body=BODY)


def test_a_created_parameter_can_stand_for_the_date(rsa_keys: KeyPair) -> None:
    # Given a cavage GET covering (created) instead of Date
    created = int(NOW.timestamp())
    headers = _cavage(rsa_keys, ("(request-target)", "host", "(created)"), created=created)

    # When it is verified in the window, then outside it
    # Then it is taken, then refused as expired
    _verify(rsa_keys, headers, now=NOW + timedelta(minutes=30))
    with pytest.raises(ExpiredSignature, match=r"^created "):
        _verify(rsa_keys, headers, now=NOW + timedelta(hours=2))


def test_a_cavage_signature_needs_a_date_or_created(rsa_keys: KeyPair) -> None:
    headers = _cavage(rsa_keys, ("(request-target)", "host"))
    with pytest.raises(InvalidSignature, match=r"^Date or \(created\) must be signed$"):
        _verify(rsa_keys, headers)


def test_an_unreadable_date_is_refused(rsa_keys: KeyPair) -> None:
    headers = _cavage(rsa_keys, ("(request-target)", "host", "date"), date="demain matin")
    with pytest.raises(InvalidSignature, match=r"^unreadable Date header$"):
        _verify(rsa_keys, headers)


def test_a_signed_date_that_did_not_arrive_is_named_absent(rsa_keys: KeyPair) -> None:
    # Given a request that signs its Date, which a proxy dropped on the way
    headers = _cavage(rsa_keys, ("(request-target)", "host", "date"))
    del headers["date"]
    # Then it is refused for the missing header, not for an unreadable one
    with pytest.raises(InvalidSignature, match=r"^covered header date is absent$"):
        _verify(rsa_keys, headers)


def test_dates_are_read_in_utc_whatever_the_servers_own_time_zone(
    rsa_keys: KeyPair, clock_in_geneva: None
) -> None:
    # Given a server whose clock is set to Geneva's time
    # When a request dated "-0000" (UTC, in the way RFC 5322 writes it) is verified half an
    # hour later
    covered = ("(request-target)", "host", "date")
    minus_zero = _cavage(rsa_keys, covered, date="Fri, 20 Nov 2026 12:00:00 -0000")
    # Then it is taken: its 12:00 is UTC, not Geneva's noon an hour earlier
    _verify(rsa_keys, minus_zero, now=NOW + timedelta(minutes=30))
    # And a date refused for its age is shown in UTC
    in_gmt = _cavage(rsa_keys, covered)
    with pytest.raises(ExpiredSignature, match=r"^Date 2026-11-20T12:00:00\+00:00 is outside"):
        _verify(rsa_keys, in_gmt, now=NOW + timedelta(hours=2))


def test_a_cavage_signature_is_good_until_its_expiry(rsa_keys: KeyPair) -> None:
    # Given a signature that expires one minute after NOW
    expires = int(NOW.timestamp()) + 60
    covered = ("(request-target)", "host", "date", "(expires)")
    headers = _cavage(rsa_keys, covered, expires=expires)

    # Then it is taken at its expiry, and refused one second later
    _verify(rsa_keys, headers, now=NOW + timedelta(seconds=60))
    with pytest.raises(ExpiredSignature, match=r"^the signature has expired$"):
        _verify(rsa_keys, headers, now=NOW + timedelta(seconds=61))


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_an_empty_post_still_needs_a_signed_digest(rsa_keys: KeyPair, method: str) -> None:
    # Given a request of a method that carries a body, with an empty body and no digest
    headers = _cavage(rsa_keys, ("(request-target)", "host", "date"), method=method)
    # Then it is refused for want of a signed digest
    with pytest.raises(InvalidSignature, match=f"^{MUST_SIGN_DIGEST}$"):
        _verify(rsa_keys, headers, method=method.lower(), body=b"")


def test_a_get_with_a_body_needs_a_signed_digest(rsa_keys: KeyPair) -> None:
    headers = _cavage(rsa_keys, ("(request-target)", "host", "date"))
    with pytest.raises(InvalidSignature, match=f"^{MUST_SIGN_DIGEST}$"):
        _verify(rsa_keys, headers, body=BODY)


def test_a_signed_digest_of_another_body_is_refused(rsa_keys: KeyPair) -> None:
    covered = ("(request-target)", "host", "date", "digest")
    headers = _cavage(rsa_keys, covered, method="POST", body=b"another body")
    with pytest.raises(DigestMismatch):
        _verify(rsa_keys, headers, method="POST", body=BODY)
    # And the same with the right body is taken
    good = _cavage(rsa_keys, covered, method="POST", body=BODY)
    _verify(rsa_keys, good, method="POST", body=BODY)


def test_an_rfc9421_signature_without_keyid_is_refused(rsa_keys: KeyPair) -> None:
    headers = _rfc9421(rsa_keys, ("@method", "@target-uri"), {"created": int(NOW.timestamp())})
    with pytest.raises(InvalidSignature, match=r"^the signature carries no keyid$"):
        _verify(rsa_keys, headers)
    with pytest.raises(InvalidSignature, match=r"^no RFC 9421 signature carries a keyid$"):
        signature_key_id(headers)


def test_the_rfc9421_signature_with_a_keyid_is_the_one_checked(rsa_keys: KeyPair) -> None:
    # Given two signatures: a first one without keyid and a second, valid one with a keyid
    created = int(NOW.timestamp())
    anonymous = _rfc9421(rsa_keys, ("@method", "@target-uri"), {"created": created}, label="a")
    keyed = _rfc9421(
        rsa_keys, ("@method", "@target-uri"), {"created": created, "keyid": KEY_ID}, label="b"
    )
    headers = {
        "host": HOST,
        "signature-input": f"{anonymous['signature-input']}, {keyed['signature-input']}",
        "signature": f"{anonymous['signature']}, {keyed['signature']}",
    }
    # Then the keyed one names the key and verifies
    assert signature_key_id(headers) == (Scheme.RFC9421, KEY_ID)
    verified = _verify(rsa_keys, headers)
    assert verified.covered == ("@method", "@target-uri")  # type: ignore[attr-defined]


@pytest.mark.parametrize("components", [("@target-uri",), ("@method",), ("@method", "@authority")])
def test_an_rfc9421_signature_must_cover_method_and_target(
    rsa_keys: KeyPair, components: tuple[str, ...]
) -> None:
    params = {"created": int(NOW.timestamp()), "keyid": KEY_ID}
    headers = _rfc9421(rsa_keys, components, params)
    with pytest.raises(InvalidSignature, match=r"^@method and @target-uri \(or @path\) must be"):
        _verify(rsa_keys, headers)


@pytest.mark.parametrize("target", ["@path", "@request-target"])
def test_a_path_can_stand_for_the_target_uri(rsa_keys: KeyPair, target: str) -> None:
    params = {"created": int(NOW.timestamp()), "keyid": KEY_ID}
    headers = _rfc9421(rsa_keys, ("@method", target), params)
    assert _verify(rsa_keys, headers).scheme is Scheme.RFC9421  # type: ignore[attr-defined]


@pytest.mark.parametrize("created", [True, "1763640000"])
def test_created_must_be_a_signed_number(rsa_keys: KeyPair, created: object) -> None:
    headers = _rfc9421(rsa_keys, ("@method", "@target-uri"), {"created": created, "keyid": KEY_ID})
    with pytest.raises(InvalidSignature, match=r"^created must be signed$"):
        _verify(rsa_keys, headers)


def test_an_rfc9421_signature_is_good_until_its_expiry(rsa_keys: KeyPair) -> None:
    created = int(NOW.timestamp())
    params = {"created": created, "expires": created + 60, "keyid": KEY_ID}
    headers = _rfc9421(rsa_keys, ("@method", "@target-uri"), params)
    _verify(rsa_keys, headers, now=NOW + timedelta(seconds=60))
    with pytest.raises(ExpiredSignature, match=r"^the signature has expired$"):
        _verify(rsa_keys, headers, now=NOW + timedelta(seconds=61))


def test_an_rfc9421_post_must_cover_its_content_digest(rsa_keys: KeyPair) -> None:
    # Given a POST that carries a matching Content-Digest but does not sign it
    params = {"created": int(NOW.timestamp()), "keyid": KEY_ID}
    headers = _rfc9421(rsa_keys, ("@method", "@target-uri"), params, method="POST", body=BODY)
    # Then it is refused
    with pytest.raises(InvalidSignature, match=f"^{MUST_SIGN_DIGEST}$"):
        _verify(rsa_keys, headers, method="POST", body=BODY)
    # And one that signs it is taken
    covered = ("@method", "@target-uri", "content-digest")
    signed = _rfc9421(rsa_keys, covered, params, method="POST", body=BODY)
    _verify(rsa_keys, signed, method="POST", body=BODY)


def test_the_rfc9421_target_uses_the_servers_scheme(rsa_keys: KeyPair) -> None:
    # Given a signature over the https address
    params = {"created": int(NOW.timestamp()), "keyid": KEY_ID}
    headers = _rfc9421(rsa_keys, ("@method", "@target-uri"), params)
    # Then a server behind http does not take it, and an https one does
    with pytest.raises(InvalidSignature, match="signature does not verify"):
        verify_request(
            "GET", PATH, HOST, headers, None, rsa_keys.public_pem, now=NOW, url_scheme="http"
        )
    verify_request(
        "GET", PATH, HOST, headers, None, rsa_keys.public_pem, now=NOW, url_scheme="https"
    )


@pytest.mark.parametrize("scheme", list(Scheme))
def test_an_empty_post_signed_with_the_digest_of_nothing_is_taken(
    rsa_keys: KeyPair, scheme: Scheme
) -> None:
    # Given a POST with an empty body, signed with the digest of that empty body
    headers = sign_request("POST", URL, {}, b"", KEY_ID, rsa_keys.private_pem, scheme, now=NOW)
    # Then it verifies with the empty body, and not with another one
    _verify(rsa_keys, headers, method="POST", body=b"")
    with pytest.raises(DigestMismatch):
        _verify(rsa_keys, headers, method="POST", body=b"{}")


@pytest.mark.parametrize("scheme", list(Scheme))
def test_a_post_that_signs_a_digest_it_does_not_carry_is_refused(
    rsa_keys: KeyPair, scheme: Scheme
) -> None:
    # Given a POST whose signature covers its digest, and the digest headers then taken away
    headers = sign_request("POST", URL, {}, BODY, KEY_ID, rsa_keys.private_pem, scheme, now=NOW)
    stripped = {k: v for k, v in headers.items() if k not in {"Digest", "Content-Digest"}}
    # Then the refusal says what is missing
    with pytest.raises(
        DigestMismatch, match=r"^a request with a body must carry Digest or Content-Digest$"
    ):
        _verify(rsa_keys, stripped, method="POST", body=BODY)


def test_an_rfc9421_created_outside_the_window_is_named(rsa_keys: KeyPair) -> None:
    params = {"created": int(NOW.timestamp()), "keyid": KEY_ID}
    headers = _rfc9421(rsa_keys, ("@method", "@target-uri"), params)
    with pytest.raises(ExpiredSignature, match=r"^created 2026-11-20T12:00:00\+00:00 is outside"):
        _verify(rsa_keys, headers, now=NOW + timedelta(hours=2))


@pytest.mark.parametrize("expires", ["1763640060", True, 17636400.5])
def test_an_rfc9421_expiry_that_is_not_a_number_is_refused(
    rsa_keys: KeyPair, expires: object
) -> None:
    # Given a signature whose expires parameter is text, a boolean or a decimal
    params = {"created": int(NOW.timestamp()), "expires": expires, "keyid": KEY_ID}
    headers = _rfc9421(rsa_keys, ("@method", "@target-uri"), params)
    # Then it is refused with a reason, not taken as never expiring
    with pytest.raises(InvalidSignature, match=r"^expires must be a number$"):
        _verify(rsa_keys, headers)


def test_a_moment_in_another_time_zone_is_dated_in_gmt(rsa_keys: KeyPair) -> None:
    # Given a signature made at a moment given with a +02:00 offset
    moment = NOW.astimezone(timezone(timedelta(hours=2)))
    headers = sign_request(
        "GET", URL, {}, None, KEY_ID, rsa_keys.private_pem, Scheme.CAVAGE, now=moment
    )
    # Then its Date is the same moment in GMT, and it verifies at that moment
    assert headers["Date"] == "Fri, 20 Nov 2026 12:00:00 GMT"
    _verify(rsa_keys, headers, now=moment, max_skew=timedelta(minutes=1))


def test_a_date_outside_the_window_is_named(rsa_keys: KeyPair) -> None:
    headers = _cavage(rsa_keys, ("(request-target)", "host", "date"))
    with pytest.raises(ExpiredSignature, match=r"^Date 2026-11-20T12:00:00\+00:00 is outside"):
        _verify(rsa_keys, headers, now=NOW + timedelta(hours=2))


def test_a_created_parameter_that_is_not_signed_does_not_stand_for_the_date(
    rsa_keys: KeyPair,
) -> None:
    # Given a cavage GET that carries a created parameter but signs neither it nor Date
    headers = _cavage(rsa_keys, ("(request-target)", "host"), created=int(NOW.timestamp()))
    assert "created=" in headers["signature"]
    # Then it is refused: what is not signed cannot date the request
    with pytest.raises(InvalidSignature, match=r"^Date or \(created\) must be signed$"):
        _verify(rsa_keys, headers)
