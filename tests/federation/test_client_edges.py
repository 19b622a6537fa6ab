"""The signed client at its edges: limits reached exactly, schemes remembered, reasons given."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel
import httpx2
import pytest

from federation.client import (
    DEFAULT_TIMEOUT_SECONDS,
    FederationClient,
    InMemorySchemeMemory,
    PostResult,
    Signer,
    host_key,
)
from federation.errors import (
    BadResponse,
    ConnectionFailed,
    FetchTimeout,
    InvalidActivity,
    PrivateAddressError,
    ResponseTooLarge,
)
from federation.keys import KeyPair
from federation.signatures import Scheme, signature_key_id, verify_request
from tests.federation.federation_support import mock_client, mock_http

ACTOR = "https://jonction.test/actors/a"
INBOX = "https://jonction.test/inbox"
KEY_ID = "https://paquis.test/actor#main-key"


def _signer(keys: KeyPair) -> Signer:
    return Signer(KEY_ID, keys.private_pem)


@pytest.mark.parametrize(
    ("status", "success"), [(199, False), (200, True), (202, True), (299, True), (300, False)]
)
def test_only_2xx_is_a_success(status: int, success: bool) -> None:
    assert PostResult(status, {}, Scheme.CAVAGE).is_success is success


def test_the_host_key_is_the_lower_cased_authority_without_credentials() -> None:
    assert host_key("https://user:pw@Jonction.TEST:8443/inbox") == "jonction.test:8443"
    assert host_key("https://jonction.test/inbox") == "jonction.test"


def test_a_production_client_has_its_timeout_user_agent_and_no_redirects() -> None:
    # Given options as the configuration gives them
    client = FederationClient.create(user_agent="quartiers/1", timeout_seconds=3)
    default = FederationClient.create(user_agent="quartiers/1")

    # Then its HTTP client follows no redirect itself, announces itself, and waits 3 s
    assert client.http.follow_redirects is False
    assert client.http.headers["user-agent"] == "quartiers/1"
    assert client.http.timeout == httpx2.Timeout(3.0)
    assert client.timeout_seconds == 3
    assert default.http.timeout == httpx2.Timeout(DEFAULT_TIMEOUT_SECONDS)


@pytest.mark.parametrize("declared", [True, False])
async def test_a_response_exactly_at_the_cap_is_read(declared: bool) -> None:
    # Given a JSON answer of exactly 1,024 bytes, with or without Content-Length
    body = b'{"content": "' + b"x" * (1024 - 15) + b'"}'
    assert len(body) == 1024

    async def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    response = (
        httpx2.Response(200, content=body) if declared else httpx2.Response(200, content=chunks())
    )
    client = mock_client({ACTOR: response}, max_response_bytes=1024)

    # When it is fetched
    data = await client.fetch_json(ACTOR)

    # Then it is read whole
    assert len(data["content"]) == 1024 - 15


async def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    response = httpx2.Response(200, content=b"{}", headers={"Content-Length": "1025"})
    client = mock_client({ACTOR: response}, max_response_bytes=1024)
    with pytest.raises(ResponseTooLarge, match=r"^declared 1025 bytes > 1024$"):
        await client.fetch_json(ACTOR)


async def test_a_streamed_answer_over_the_cap_says_so() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b"x" * 1025

    client = mock_client({ACTOR: httpx2.Response(200, content=chunks())}, max_response_bytes=1024)
    with pytest.raises(ResponseTooLarge, match=r"^more than 1024 bytes$"):
        await client.fetch_json(ACTOR)


async def test_redirects_up_to_the_limit_are_followed_and_relative_ones_resolved() -> None:
    # Given two relative redirections before the document, with a limit of two
    routes = {
        ACTOR: httpx2.Response(301, headers={"Location": "/b"}),
        "https://jonction.test/b": httpx2.Response(308, headers={"Location": "c"}),
        "https://jonction.test/c": {"id": "https://jonction.test/c"},
    }
    client = mock_client(routes, max_redirects=2)

    # When the first address is fetched
    document = await client.fetch_document(ACTOR)

    # Then the document at the end is read, with the address it came from
    assert document.url == "https://jonction.test/c"
    assert document.data == {"id": "https://jonction.test/c"}
    assert document.headers["content-type"] == "application/json"

    # And one more redirection than allowed is refused
    with pytest.raises(BadResponse, match=f"more than 1 redirects from {ACTOR}$"):
        await mock_client(routes, max_redirects=1).fetch_document(ACTOR)


async def test_a_redirection_without_location_is_a_bad_response() -> None:
    client = mock_client({ACTOR: httpx2.Response(302)})
    with pytest.raises(BadResponse) as caught:
        await client.fetch_json(ACTOR)
    assert caught.value.status == 302
    assert str(caught.value) == f"HTTP 302: GET {ACTOR}"


@pytest.mark.parametrize("status", [199, 300])
async def test_answers_outside_2xx_are_refused(status: int) -> None:
    with pytest.raises(BadResponse) as caught:
        await mock_client({ACTOR: httpx2.Response(status)}).fetch_json(ACTOR)
    assert caught.value.status == status


async def test_answers_that_are_not_objects_name_the_address() -> None:
    client = mock_client(
        {ACTOR: httpx2.Response(200, text="<html>"), INBOX: httpx2.Response(200, json=[1])}
    )
    with pytest.raises(InvalidActivity, match=f"^{ACTOR} did not return JSON$"):
        await client.fetch_json(ACTOR)
    with pytest.raises(InvalidActivity, match=f"^{INBOX} did not return a JSON object$"):
        await client.fetch_json(INBOX)


async def test_a_fetch_signs_with_the_scheme_the_host_accepted_last(rsa_keys: KeyPair) -> None:
    # Given a host known to accept RFC 9421
    seen: list[httpx2.Request] = []
    memory = InMemorySchemeMemory()
    memory.set("jonction.test", Scheme.RFC9421)
    client = FederationClient(
        mock_http({ACTOR: {"id": ACTOR}}, seen),
        user_agent="qc/1",
        allow_private_addresses=True,
        scheme_memory=memory,
    )

    # When a document is fetched with a custom Accept
    await client.fetch_json(ACTOR, _signer(rsa_keys), accept="application/ld+json")

    # Then the GET carries an RFC 9421 signature that verifies, and the Accept asked for
    request = seen[0]
    assert signature_key_id(request.headers.items()) == (Scheme.RFC9421, KEY_ID)
    assert request.headers["accept"] == "application/ld+json"
    verify_request(
        "GET", "/actors/a", "jonction.test", request.headers.items(), None, rsa_keys.public_pem
    )


async def test_a_post_is_signed_json_and_its_answer_drained(rsa_keys: KeyPair) -> None:
    # Given an inbox that answers 202 with a large body
    seen: list[httpx2.Request] = []
    routes = {INBOX: httpx2.Response(202, content=b"x" * 200_000, headers={"X-Id": "7"})}
    client = FederationClient(
        mock_http(routes, seen), user_agent="qc/2", allow_private_addresses=True
    )

    # When an activity is posted
    result = await client.post_activity(INBOX, b'{"type":"Like"}', _signer(rsa_keys))

    # Then it went as signed ActivityPub JSON, and the answer is reported
    request = seen[0]
    assert request.headers["content-type"] == "application/activity+json"
    assert request.headers["user-agent"] == "qc/2"
    assert request.content == b'{"type":"Like"}'
    verify_request(
        "POST", "/inbox", "jonction.test", request.headers.items(), request.content,
        rsa_keys.public_pem,
    )  # fmt: skip
    assert (result.status, result.headers["x-id"], result.scheme_used) == (202, "7", Scheme.CAVAGE)
    assert result.retried_with_other_scheme is False
    assert client.scheme_memory.get("jonction.test") is Scheme.CAVAGE


async def test_a_failed_post_remembers_no_scheme(rsa_keys: KeyPair) -> None:
    routes = {INBOX: httpx2.Response(500)}
    client = mock_client(routes)
    result = await client.post_activity(INBOX, b"{}", _signer(rsa_keys))
    assert result.status == 500 and result.retried_with_other_scheme is False
    assert client.scheme_memory.get("jonction.test") is None


def _slow_http() -> httpx2.AsyncClient:
    async def handle(request: httpx2.Request) -> httpx2.Response:
        await anyio.sleep(5)
        return httpx2.Response(200, json={})

    return httpx2.AsyncClient(transport=httpx2.MockTransport(handle))


async def test_a_slow_fetch_times_out_with_the_address() -> None:
    # Given a server that takes 5 s, and a client that waits 0.05 s
    client = FederationClient(
        _slow_http(), user_agent="qc/1", allow_private_addresses=True, timeout_seconds=0.05
    )
    # When a document is fetched
    # Then it times out, naming the address
    with pytest.raises(FetchTimeout, match=f"^GET {ACTOR} timed out$"):
        await client.fetch_json(ACTOR)


async def test_a_delivery_bound_overrides_the_client_timeout(rsa_keys: KeyPair) -> None:
    # Given a client that would wait 30 s, and a server that takes 5 s
    client = FederationClient(
        _slow_http(), user_agent="qc/1", allow_private_addresses=True, timeout_seconds=30
    )
    # When a delivery is bounded to 0.05 s
    # Then it times out, naming the inbox
    with pytest.raises(FetchTimeout, match=f"^POST {INBOX} timed out$"):
        await client.post_activity(INBOX, b"{}", _signer(rsa_keys), timeout_seconds=0.05)


async def test_the_client_timeout_bounds_a_delivery_by_default(rsa_keys: KeyPair) -> None:
    client = FederationClient(
        _slow_http(), user_agent="qc/1", allow_private_addresses=True, timeout_seconds=0.05
    )
    with pytest.raises(FetchTimeout):
        await client.post_activity(INBOX, b"{}", _signer(rsa_keys))


async def test_a_name_that_turns_private_when_connecting_is_refused_by_the_production_client(
    rsa_keys: KeyPair,
) -> None:
    # Given a resolver that answers a public address to the check, then a loopback one
    asked: list[str] = []

    async def rebinding(name: str) -> list[str]:
        asked.append(name)
        return ["93.184.215.14"] if len(asked) == 1 else ["127.0.0.1"]

    client = FederationClient.create(user_agent="qc/1", resolver=rebinding, timeout_seconds=5)
    try:
        # When a delivery goes to that name
        # Then the connection itself is refused, by the same resolver's second answer
        with pytest.raises(PrivateAddressError, match=r"^rebind\.test resolves to the non-public"):
            await client.post_activity("https://rebind.test/inbox", b"{}", _signer(rsa_keys))
    finally:
        await client.aclose()
    assert asked == ["rebind.test", "rebind.test"]


async def test_a_delivery_signed_elsewhere_is_signed_for_each_knock(rsa_keys: KeyPair) -> None:
    # Given a host that takes only RFC 9421, and signing done elsewhere (a process pool)
    signed: list[tuple[object, ...]] = []

    async def signing(method: str, url: str, headers: dict[str, str], body: bytes | None,
                      signer: Signer, scheme: Scheme) -> dict[str, str]:  # fmt: skip
        signed.append((method, url, dict(headers), body, signer, scheme))
        return {"X-Signed-With": scheme.value}

    seen: list[httpx2.Request] = []
    answers = {Scheme.CAVAGE.value: 401, Scheme.RFC9421.value: 202}

    async def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(answers[request.headers["x-signed-with"]])

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handle))
    client = FederationClient(http, user_agent="qc/3", allow_private_addresses=True)
    signer = _signer(rsa_keys)
    # When an activity is delivered
    result = await client.post_activity(INBOX, b'{"type":"Like"}', signer, signing=signing)
    # Then each knock was signed there, as a POST of that body with our headers
    base = {"User-Agent": "qc/3", "Content-Type": "application/activity+json"}
    assert signed == [("POST", INBOX, base, b'{"type":"Like"}', signer, Scheme.CAVAGE),
                      ("POST", INBOX, base, b'{"type":"Like"}', signer, Scheme.RFC9421)]  # fmt: skip
    assert [request.headers["x-signed-with"] for request in seen] == [
        Scheme.CAVAGE.value, Scheme.RFC9421.value]  # fmt: skip
    assert "signature" not in seen[0].headers
    assert (result.status, result.scheme_used, result.retried_with_other_scheme) == (
        202, Scheme.RFC9421, True)  # fmt: skip


async def test_a_delivery_that_cannot_connect_names_its_inbox(rsa_keys: KeyPair) -> None:
    async def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(refuse))
    client = FederationClient(http, user_agent="qc/1", allow_private_addresses=True)
    with pytest.raises(
        ConnectionFailed, match=rf"^POST {INBOX}: ConnectError\('connection refused'\)$"
    ):
        await client.post_activity(INBOX, b"{}", _signer(rsa_keys))


async def test_an_endless_answer_to_a_post_is_read_up_to_64_kib_then_dropped(
    rsa_keys: KeyPair,
) -> None:
    # Given an inbox that answers 202 with a body that never ends, 1 KiB at a time
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            await anyio.lowlevel.checkpoint()  # a moment for the reader's time bound to end it
            sent.append(1024)
            yield b"x" * 1024

    async def handle(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(202, content=endless())

    client = FederationClient(httpx2.AsyncClient(transport=httpx2.MockTransport(handle)),
                              user_agent="qc/1", allow_private_addresses=True)  # fmt: skip

    # When an activity is posted there
    with anyio.fail_after(5):
        result = await client.post_activity(INBOX, b"{}", _signer(rsa_keys))

    # Then the answer is reported, once just over 64 KiB of it was read
    assert result.status == 202
    assert len(sent) == 64 + 1
