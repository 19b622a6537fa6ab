"""FederationClient over MockTransport and an ASGI inbox that really verifies signatures."""

from __future__ import annotations

import json

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.client import FederationClient, InMemorySchemeMemory, Signer
from federation.errors import (
    BadResponse,
    ConnectionFailed,
    FetchTimeout,
    InvalidActivity,
    PrivateAddressError,
    ResponseTooLarge,
    SignatureError,
)
from federation.keys import KeyPair
from federation.signatures import Scheme, signature_key_id, verify_request
from federation.vocab import is_activitypub_media_type
from tests.federation.federation_support import mock_client, mock_http

ACTOR = "https://jonction.test/actors/a"
KEY_ID = "https://paquis.test/actors/repair-cafe#main-key"


def _signer(keys: KeyPair) -> Signer:
    return Signer(KEY_ID, keys.private_pem)


async def test_fetch_json_asks_for_activitypub_and_signs(rsa_keys: KeyPair) -> None:
    # Given a remote actor document
    seen: list[httpx2.Request] = []
    client = FederationClient(
        mock_http({ACTOR: {"id": ACTOR}}, seen), user_agent="qc/1", allow_private_addresses=True
    )
    # When we fetch it with a signer
    data = await client.fetch_json(ACTOR, _signer(rsa_keys))
    # Then the GET asked for AP JSON and carries a draft-cavage signature that verifies
    assert data == {"id": ACTOR}
    request = seen[0]
    assert is_activitypub_media_type(request.headers["accept"])
    assert request.headers["user-agent"] == "qc/1"
    verified = verify_request(
        "GET", "/actors/a", "jonction.test", request.headers.items(), None, rsa_keys.public_pem
    )
    assert verified.key_id == KEY_ID and verified.scheme is Scheme.CAVAGE


async def test_unsigned_fetch_has_no_signature() -> None:
    seen: list[httpx2.Request] = []
    client = FederationClient(
        mock_http({ACTOR: {}}, seen), user_agent="qc/1", allow_private_addresses=True
    )
    await client.fetch_json(ACTOR)
    assert "signature" not in seen[0].headers


async def test_redirects_are_followed_and_re_signed(rsa_keys: KeyPair) -> None:
    seen: list[httpx2.Request] = []
    target = "https://other.test/a"
    client = FederationClient(
        mock_http(
            {ACTOR: httpx2.Response(301, headers={"Location": target}), target: {"id": target}},
            seen,
        ),
        user_agent="qc/1",
        allow_private_addresses=True,
    )
    document = await client.fetch_document(ACTOR, _signer(rsa_keys))
    assert document.url == target and document.data == {"id": target}
    assert [r.url.host for r in seen] == ["jonction.test", "other.test"]
    verify_request("GET", "/a", "other.test", seen[1].headers.items(), None, rsa_keys.public_pem)


async def test_redirect_to_a_private_address_is_refused() -> None:
    async def resolver(host: str) -> list[str]:
        return ["93.184.216.34"]

    routes = {ACTOR: httpx2.Response(302, headers={"Location": "http://169.254.169.254/latest"})}
    client = FederationClient(mock_http(routes), user_agent="qc/1", resolver=resolver)
    with pytest.raises(PrivateAddressError):
        await client.fetch_json(ACTOR)


async def test_too_many_redirects() -> None:
    loop = {ACTOR: httpx2.Response(302, headers={"Location": ACTOR})}
    with pytest.raises(BadResponse, match="redirects from"):
        await mock_client(loop).fetch_json(ACTOR)


@pytest.mark.parametrize("declared", [True, False])
async def test_response_size_is_capped(declared: bool) -> None:
    body = json.dumps({"content": "x" * 5000}).encode()

    async def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    response = (
        httpx2.Response(200, content=body) if declared else httpx2.Response(200, content=chunks())
    )
    client = mock_client({ACTOR: response}, max_response_bytes=1024)
    with pytest.raises(ResponseTooLarge):
        await client.fetch_json(ACTOR)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx2.Response(404), BadResponse),
        (httpx2.Response(500), BadResponse),
        (httpx2.Response(200, text="<html>"), InvalidActivity),
        (httpx2.Response(200, json=["not", "an", "object"]), InvalidActivity),
        (httpx2.Response(200, content=b"[" * 100_000 + b"]" * 100_000), InvalidActivity),
    ],
)
async def test_bad_answers(response: httpx2.Response, error: type[Exception]) -> None:
    with pytest.raises(error):
        await mock_client({ACTOR: response}).fetch_json(ACTOR)


async def test_bad_response_carries_the_status() -> None:
    with pytest.raises(BadResponse) as caught:
        await mock_client({ACTOR: httpx2.Response(403)}).fetch_json(ACTOR)
    assert caught.value.status == 403
    assert str(caught.value) == f"HTTP 403: GET {ACTOR}"
    assert str(BadResponse(503)) == "HTTP 503"  # no reason, no trailing colon


@pytest.mark.parametrize(
    ("exception", "error", "reason"),
    [
        (httpx2.ReadTimeout("slow"), FetchTimeout, "{} timed out"),
        (httpx2.ConnectError("refused"), ConnectionFailed, "{}: ConnectError('refused')"),
    ],
)
async def test_transport_failures_are_classified_with_the_request_they_ended(
    rsa_keys: KeyPair, exception: Exception, error: type[Exception], reason: str
) -> None:
    def fail(request: httpx2.Request) -> httpx2.Response:
        raise exception

    client = FederationClient(
        httpx2.AsyncClient(transport=httpx2.MockTransport(fail)),
        user_agent="qc/1",
        allow_private_addresses=True,
    )
    with pytest.raises(error) as fetching:
        await client.fetch_json(ACTOR)
    with pytest.raises(error) as delivering:
        await client.post_activity(ACTOR, b"{}", _signer(rsa_keys))
    assert str(fetching.value) == reason.format(f"GET {ACTOR}")
    assert str(delivering.value) == reason.format(f"POST {ACTOR}")


def _inbox_app(keys: KeyPair, accepted: set[Scheme], log: list[Scheme]) -> Starlette:
    """An inbox that verifies like ours and answers 401 to the schemes it does not take."""

    async def inbox(request: Request) -> Response:
        body = await request.body()
        scheme, _key_id = signature_key_id(request.headers.items())
        log.append(scheme)
        try:
            verify_request(
                request.method,
                request.url.path,
                request.headers["host"],
                request.headers.items(),
                body,
                keys.public_pem,
                url_scheme=request.url.scheme,
            )
        except SignatureError as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        if scheme not in accepted:
            return Response(status_code=401)
        return Response(status_code=202)

    return Starlette(routes=[Route("/inbox", inbox, methods=["POST"])])


def _rig(keys: KeyPair, accepted: set[Scheme], log: list[Scheme], memory=None):  # type: ignore[no-untyped-def]
    http = httpx2.AsyncClient(
        mounts={"http://jonction.test": httpx2.ASGITransport(app=_inbox_app(keys, accepted, log))}
    )
    return FederationClient(
        http,
        user_agent="qc/1",
        allow_private_addresses=True,
        scheme_memory=memory or InMemorySchemeMemory(),
    )


async def test_post_uses_draft_cavage_first(rsa_keys: KeyPair) -> None:
    log: list[Scheme] = []
    client = _rig(rsa_keys, {Scheme.CAVAGE, Scheme.RFC9421}, log)
    result = await client.post_activity("http://jonction.test/inbox", b'{"a":1}', _signer(rsa_keys))
    assert (result.status, result.scheme_used, result.retried_with_other_scheme) == (
        202,
        Scheme.CAVAGE,
        False,
    )
    assert log == [Scheme.CAVAGE]


async def test_double_knock_on_401_and_remember_the_scheme(rsa_keys: KeyPair) -> None:
    # Given a host that only takes RFC 9421
    log: list[Scheme] = []
    memory = InMemorySchemeMemory()
    client = _rig(rsa_keys, {Scheme.RFC9421}, log, memory)
    signer = _signer(rsa_keys)
    # When we post twice
    first = await client.post_activity("http://jonction.test/inbox", b'{"a":1}', signer)
    second = await client.post_activity("http://jonction.test/inbox", b'{"a":2}', signer)
    # Then the first post knocked twice, and the second went straight to RFC 9421
    assert first.status == 202 and first.retried_with_other_scheme
    assert first.scheme_used is Scheme.RFC9421
    assert memory.get("jonction.test") is Scheme.RFC9421
    assert second.status == 202 and not second.retried_with_other_scheme
    assert log == [Scheme.CAVAGE, Scheme.RFC9421, Scheme.RFC9421]


async def test_remembered_scheme_falls_back_once_then_reports_401(rsa_keys: KeyPair) -> None:
    log: list[Scheme] = []
    client = _rig(rsa_keys, set(), log)
    result = await client.post_activity("http://jonction.test/inbox", b"{}", _signer(rsa_keys))
    assert result.status == 401 and result.retried_with_other_scheme
    assert log == [Scheme.CAVAGE, Scheme.RFC9421]
    assert client.scheme_memory.get("jonction.test") is None


async def test_post_returns_http_errors_instead_of_raising(rsa_keys: KeyPair) -> None:
    routes = {"https://jonction.test/inbox": httpx2.Response(503, headers={"Retry-After": "60"})}
    result = await mock_client(routes).post_activity(
        "https://jonction.test/inbox", b"{}", _signer(rsa_keys)
    )
    assert result.status == 503 and result.headers["retry-after"] == "60"
    assert not result.is_success


async def test_post_to_a_private_address_is_refused(rsa_keys: KeyPair) -> None:
    client = FederationClient(mock_http({}), user_agent="qc/1")
    with pytest.raises(PrivateAddressError):
        await client.post_activity("http://10.0.0.5/inbox", b"{}", _signer(rsa_keys))
