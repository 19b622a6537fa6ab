"""HTTP signatures on ActivityPub requests: draft-cavage and RFC 9421 behind one API.

Signing follows what Mastodon requires of senders: draft-cavage covers
`(request-target) host date digest` on POST and `(request-target) host date`
on GET; RFC 9421 covers `@method @target-uri content-digest` with `created`
and `keyid`. Verification accepts either, from any header container.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.digest import build_content_digest, build_digest, verify_digest_headers
from federation.errors import DigestMismatch, ExpiredSignature, InvalidSignature
from federation.http_headers import HeadersInput, NormalizedHeaders, normalize_headers, read_headers
from federation.keys import load_private_key
from federation.signatures import cavage, rfc9421
from federation.signatures.algorithms import default_algorithm
from federation.structured_fields import Component

__all__ = [
    "DEFAULT_MAX_SKEW",
    "Scheme",
    "VerifiedSignature",
    "sign_request",
    "signature_key_id",
    "verify_request",
]

DEFAULT_MAX_SKEW = timedelta(hours=1)
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class Scheme(enum.StrEnum):
    CAVAGE = "draft-cavage"
    RFC9421 = "rfc9421"

    @property
    def other(self) -> Scheme:
        return Scheme.RFC9421 if self is Scheme.CAVAGE else Scheme.CAVAGE


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    key_id: str
    scheme: Scheme
    covered: tuple[str, ...]


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.astimezone(UTC) if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _split_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"not an absolute URL: {url!r}")
    path = parts.path or "/"
    return parts.netloc.rpartition("@")[2].lower(), f"{path}?{parts.query}" if parts.query else path


def sign_request(
    method: str,
    url: str,
    headers: HeadersInput,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    scheme: Scheme,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers to add to a request so that it is signed (Host, Date, digest, signature)."""
    moment = _utc(now)
    host, path_with_query = _split_url(url)
    method = method.upper()
    added = {"Host": host, "Date": format_datetime(moment, usegmt=True)}
    merged = normalize_headers(headers)
    if scheme is Scheme.CAVAGE:
        covered: tuple[str, ...] = ("(request-target)", "host", "date")
        if body is not None:
            added["Digest"] = build_digest(body)
            covered += ("digest",)
            if "content-type" in merged:
                covered += ("content-type",)
        merged.update({name.lower(): value for name, value in added.items()})
        algorithm = (
            cavage.RSA_SHA256
            if isinstance(load_private_key(private_key_pem), rsa.RSAPrivateKey)
            else cavage.HS2019
        )
        added["Signature"] = cavage.sign_cavage(
            method, path_with_query, merged, covered, key_id, private_key_pem, algorithm
        )
        return added
    components = [Component("@method"), Component("@target-uri")]
    if body is not None:
        added["Content-Digest"] = build_content_digest(body)
        components.append(Component("content-digest"))
    merged.update({name.lower(): value for name, value in added.items()})
    params = {
        "created": int(moment.timestamp()),
        "keyid": key_id,
        "alg": default_algorithm(load_private_key(private_key_pem)),
    }
    message = rfc9421.HttpMessage(headers=merged, method=method, target_uri=url)
    added.update(rfc9421.sign_message(message, components, params, private_key_pem))
    return added


def signature_key_id(headers: HeadersInput) -> tuple[Scheme, str]:
    """Which key signed this request, without verifying anything (to look the key up)."""
    normalized = read_headers(headers)
    if "signature-input" in normalized:
        for signature in rfc9421.parse_signatures(normalized):
            if signature.key_id:
                return Scheme.RFC9421, signature.key_id
        raise InvalidSignature("no RFC 9421 signature carries a keyid")
    parsed = cavage.parse_signature_header(cavage.find_signature_header(normalized))
    return Scheme.CAVAGE, parsed.key_id


@lru_cache(maxsize=64)
def _date_header(value: str) -> datetime | None:
    """A `Date` header as a UTC datetime, None when unreadable. Cached: it changes once a
    second, and a busy inbox reads the same one from many requests."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return _utc(parsed) if isinstance(parsed, datetime) else None


def _check_moment(label: str, moment: datetime, now: datetime, max_skew: timedelta) -> None:
    if abs(now - moment) > max_skew:
        raise ExpiredSignature(f"{label} {moment.isoformat()} is outside the accepted window")


def _check_expires(expires: int | None, now: datetime) -> None:
    if expires is not None and now.timestamp() > expires:
        raise ExpiredSignature("the signature has expired")


def _require_body_digest(headers: dict[str, str], body: bytes, signed: set[str]) -> None:
    """A request with a body must sign a digest and the digest must match the body.

    Mastodon: "Mastodon requires the Digest header to be signed when doing a POST request".
    """
    if not signed & {"digest", "content-digest"}:
        raise InvalidSignature("a request with a body must sign Digest or Content-Digest")
    if not verify_digest_headers(headers, body):
        raise DigestMismatch("a request with a body must carry Digest or Content-Digest")


def verify_request(
    method: str,
    path_with_query: str,
    host: str,
    headers: HeadersInput,
    body: bytes | None,
    public_key_pem: str,
    now: datetime | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    url_scheme: str = "https",
) -> VerifiedSignature:
    """Verify either scheme; raise a SignatureError subclass when the request cannot be trusted."""
    moment = _utc(now)
    normalized = read_headers(headers)
    if "host" not in normalized:
        normalized = NormalizedHeaders({**normalized, "host": host})
    method = method.upper()
    has_body = bool(body) or method in _METHODS_WITH_BODY
    if "signature-input" in normalized:
        return _verify_rfc9421(
            method,
            f"{url_scheme}://{host}{path_with_query}",
            normalized,
            body,
            has_body,
            public_key_pem,
            moment,
            max_skew,
        )
    parsed = cavage.parse_signature_header(cavage.find_signature_header(normalized))
    signed = set(parsed.headers)
    if "(request-target)" not in signed:
        raise InvalidSignature("(request-target) must be signed")
    if "date" in signed:
        signed_date = normalized.get("date")
        if signed_date is None:
            raise InvalidSignature("covered header date is absent")
        date = _date_header(signed_date)
        if date is None:
            raise InvalidSignature("unreadable Date header")
        _check_moment("Date", date, moment, max_skew)
    elif "(created)" in signed and parsed.created is not None:
        _check_moment("created", datetime.fromtimestamp(parsed.created, UTC), moment, max_skew)
    else:
        raise InvalidSignature("Date or (created) must be signed")
    _check_expires(parsed.expires, moment)
    if has_body:
        _require_body_digest(normalized, body or b"", signed)
    cavage.verify_cavage(method, path_with_query, normalized, parsed, public_key_pem)
    return VerifiedSignature(parsed.key_id, Scheme.CAVAGE, parsed.headers)


def _verify_rfc9421(
    method: str,
    target_uri: str,
    headers: dict[str, str],
    body: bytes | None,
    has_body: bool,
    public_key_pem: str,
    now: datetime,
    max_skew: timedelta,
) -> VerifiedSignature:
    signatures = rfc9421.parse_signatures(headers)
    signature = next((s for s in signatures if s.key_id), signatures[0])
    if signature.key_id is None:
        raise InvalidSignature("the signature carries no keyid")
    signed = set(signature.covered)
    if "@method" not in signed or not signed & {"@target-uri", "@path", "@request-target"}:
        raise InvalidSignature("@method and @target-uri (or @path) must be signed")
    created = signature.signature_input.params.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        raise InvalidSignature("created must be signed")
    _check_moment("created", datetime.fromtimestamp(created, UTC), now, max_skew)
    expires = signature.signature_input.params.get("expires")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        raise InvalidSignature("expires must be a number")
    _check_expires(expires, now)
    if has_body:
        _require_body_digest(headers, body or b"", signed)
    message = rfc9421.HttpMessage(headers=headers, method=method, target_uri=target_uri)
    rfc9421.verify_message(message, signature, public_key_pem)
    return VerifiedSignature(signature.key_id, Scheme.RFC9421, tuple(signature.covered))
