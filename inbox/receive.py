"""Receiving one POST: cap, parse, verify, check origins. Pure steps, each with its HTTP status.

The steps read the request as :class:`ReceivedPost`: its method, target and headers, decoded
once from the ASGI scope (the inbox is the busiest route; Starlette's request object would read
the headers again for each check).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.types import Scope

from actors.remote import KnownKey, RemoteActors
from federation import bodies
from federation.errors import InvalidActivity, SignatureError
from federation.http_headers import NormalizedHeaders, normalize_headers
from federation.parsing import MAX_ADDRESS_LENGTH, ParsedActivity, parse_activity
from federation.signatures import signature_key_id, verify_request
from federation.vocab import host_of, same_origin


class Refusal(Exception):
    """An inbox POST we do not take, with the status and reason to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ReceivedPost:
    """What the checks read of a POST: its method, target (path and query, as signed) and host,
    and its headers with lower-cased names."""

    method: str
    path_with_query: str
    host: str
    headers: NormalizedHeaders

    @classmethod
    def from_scope(cls, scope: Scope) -> ReceivedPost:
        headers = normalize_headers(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
        )
        # The path as Starlette's URL gives it, so the signed target reads the same either way.
        path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
        # A query that is not UTF-8 cannot match what was signed: a 401 then, not an error.
        query = scope.get("query_string", b"").decode(errors="replace")
        return cls(
            method=scope["method"],
            path_with_query=f"{path}?{query}" if query else path,
            # Without a Host field (HTTP/1.0): the address reached, as Starlette's URL reads it.
            host=headers.get("host") or URL(scope={**scope, "query_string": b""}).netloc,
            headers=headers,
        )


async def read_capped_body(post: ReceivedPost, request: Request, limit: int) -> bytes:
    try:
        return await bodies.read_capped_stream(
            request.stream(), post.headers.get("content-length"), limit
        )
    except bodies.BodyTooLarge as error:
        raise Refusal(413, str(error)) from None


def parse_body(body: bytes) -> ParsedActivity:
    try:
        document = bodies.parse_json_envelope(body)
    except bodies.BodyNotJSON as error:
        raise Refusal(400, str(error)) from None
    try:
        activity = parse_activity(document)
    except InvalidActivity as error:
        raise Refusal(400, f"not an activity: {error}") from None
    if not activity.id:
        raise Refusal(400, "an activity needs an id")
    if (
        len(activity.id) > MAX_ADDRESS_LENGTH
        or len(activity.actor_uri) > MAX_ADDRESS_LENGTH
        or len(activity.object_uri or "") > MAX_ADDRESS_LENGTH
    ):
        # The columns that keep them are VARCHAR(2048): PostgreSQL would refuse the row.
        raise Refusal(400, f"an id longer than {MAX_ADDRESS_LENGTH} characters")
    return activity


def is_self_delete(activity: ParsedActivity) -> bool:
    return activity.type == "Delete" and activity.object_uri == activity.actor_uri


async def verify(
    post: ReceivedPost,
    body: bytes,
    activity: ParsedActivity,
    actors: RemoteActors,
    *,
    max_age: timedelta,
    url_scheme: str,
) -> KnownKey:
    """Check the signature and that its key belongs to the activity's actor.

    A failed verification refetches the key once: the sender may have rotated it.
    """
    try:
        _scheme, key_id = signature_key_id(post.headers)
    except SignatureError as error:
        raise Refusal(401, f"no usable signature: {error}") from None
    if not same_origin(key_id, activity.actor_uri):
        raise Refusal(401, "the signing key does not belong to the activity's actor")
    key = await actors.key(key_id)
    if key is None:
        raise Refusal(401, f"cannot get key {key_id}")
    try:
        _check(post, body, key, max_age, url_scheme)
    except SignatureError:
        fresh = await actors.key(key_id, refresh=True)
        if fresh is None or fresh.public_key_pem == key.public_key_pem:
            raise Refusal(401, "signature does not verify") from None
        key = fresh
        try:
            _check(post, body, key, max_age, url_scheme)
        except SignatureError as error:
            raise Refusal(401, f"signature does not verify: {error}") from None
    if key.actor_uri != activity.actor_uri:
        raise Refusal(401, "the signing key belongs to another actor")
    if key.is_gone:
        raise Refusal(401, "this actor is gone")
    if not same_origin(activity.id, activity.actor_uri):
        raise Refusal(403, "the activity id is not on its actor's server")
    return key


def _check(
    post: ReceivedPost, body: bytes, key: KnownKey, max_age: timedelta, url_scheme: str
) -> None:
    verify_request(
        post.method,
        post.path_with_query,
        post.host,
        post.headers,
        body,
        key.public_key_pem,
        max_skew=max_age,
        url_scheme=url_scheme,
    )


def sender_host(activity: ParsedActivity) -> str:
    return host_of(activity.actor_uri) or ""
