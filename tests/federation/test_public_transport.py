"""The production client connects only to addresses it checked, so DNS rebinding gets nowhere.

A small HTTP server on 127.0.0.1 stands in for a remote server: the backend under test is given
an inner backend that records which address it was asked to open and then reaches that server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpcore2
import pytest

from federation.asyncio_streams import AsyncioBackend
from federation.client import FederationClient
from federation.errors import PrivateAddressError
from federation.public_transport import PublicAddressBackend, PublicOnlyTransport

PUBLIC = "93.184.215.14"
OTHER_PUBLIC = "93.184.215.15"


class Recorder(httpcore2.AsyncNetworkBackend):
    """Records the address each connection was opened to, and reaches the local server."""

    def __init__(self, port: int, unreachable: frozenset[str] = frozenset()) -> None:
        self.port = port
        self.unreachable = unreachable
        self.opened: list[str] = []
        self.inner = AsyncioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        self.opened.append(host)
        if host in self.unreachable:
            raise httpcore2.ConnectError(f"{host} does not answer")
        return await self.inner.connect_tcp("127.0.0.1", self.port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@asynccontextmanager
async def remote_server(hosts_seen: list[str]) -> AsyncIterator[int]:
    """An HTTP/1.1 server answering every request with a small JSON-LD document."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        for line in head.split("\r\n"):
            if line.lower().startswith("host:"):
                hosts_seen.append(line.split(":", 1)[1].strip())
        body = json.dumps({"id": "https://example/doc", "type": "Note"}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def resolving(*answers: list[str]) -> Any:
    """A resolver giving each answer in turn (the last one again when they run out)."""
    calls: list[str] = []

    async def resolve(name: str) -> list[str]:
        calls.append(name)
        return answers[min(len(calls), len(answers)) - 1]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


async def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    hosts_seen: list[str] = []
    async with remote_server(hosts_seen) as port:
        # Given a host with a public address
        recorder = Recorder(port)
        backend = PublicAddressBackend(recorder, resolving([PUBLIC]))
        client = FederationClient.create(user_agent="qc/1", resolver=backend.resolver)
        client.http._transport = PublicOnlyTransport(backend)

        # When a document is fetched from it
        document = await client.fetch_json("http://pinned.example/doc")
        await client.aclose()

    # Then the socket was opened to that very address, and the request still names the host
    assert document["type"] == "Note"
    assert recorder.opened == [PUBLIC]
    assert hosts_seen == ["pinned.example"]


async def test_a_name_that_turns_private_when_connecting_is_refused() -> None:
    # Given a hostile DNS server: public for the check, loopback for the connection
    recorder = Recorder(port=9)
    rebinding = resolving([PUBLIC], ["127.0.0.1"])
    client = FederationClient.create(user_agent="qc/1", resolver=rebinding)
    client.http._transport = PublicOnlyTransport(PublicAddressBackend(recorder, rebinding))

    # When a document is fetched from it
    with pytest.raises(PrivateAddressError):
        await client.fetch_json("http://rebind.example/doc")
    await client.aclose()

    # Then the name was checked twice and no socket was ever opened
    assert rebinding.calls == ["rebind.example", "rebind.example"]
    assert recorder.opened == []


async def test_a_mixed_answer_is_refused_and_unreachable_addresses_are_skipped() -> None:
    # A name with one private address among public ones is refused outright
    refused = PublicAddressBackend(Recorder(port=9), resolving([PUBLIC, "10.0.0.8"]))
    with pytest.raises(PrivateAddressError):
        await refused.connect_tcp("mixed.example", 443)

    # When the first public address does not answer, the next one is tried
    hosts_seen: list[str] = []
    async with remote_server(hosts_seen) as port:
        recorder = Recorder(port, unreachable=frozenset({PUBLIC}))
        backend = PublicAddressBackend(recorder, resolving([PUBLIC, OTHER_PUBLIC]))
        stream = await backend.connect_tcp("two.example", 80)
        await stream.aclose()
    assert recorder.opened == [PUBLIC, OTHER_PUBLIC]


async def test_the_production_client_pins_unless_private_addresses_are_allowed() -> None:
    pinned = FederationClient.create(user_agent="qc/1")
    open_client = FederationClient.create(user_agent="qc/1", allow_private_addresses=True)
    try:
        assert isinstance(pinned.http._transport, PublicOnlyTransport)
        assert not isinstance(open_client.http._transport, PublicOnlyTransport)
    finally:
        await pinned.aclose()
        await open_client.aclose()


class Asked(httpcore2.AsyncNetworkBackend):
    """Records what each connection was asked with, and fails every one of them."""

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.asked: list[tuple[Any, ...]] = []
        self.slept: list[float] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        self.asked.append((host, port, timeout, local_address, socket_options))
        raise self.failures[len(self.asked) - 1]

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


async def test_a_connection_is_opened_with_the_callers_bounds_and_the_last_failure_is_raised() -> (
    None
):
    # Given two public addresses (one with a zone), neither answering
    options = [(6, 1, 1)]
    asked = Asked([httpcore2.ConnectError("refused"), httpcore2.ConnectTimeout("too slow")])
    backend = PublicAddressBackend(asked, resolving([PUBLIC, "2606:4700::1111%eth0"]))
    # When a connection is opened with a timeout, a local address and socket options
    with pytest.raises(httpcore2.ConnectTimeout, match=r"^too slow$"):
        await backend.connect_tcp("two.example", 8443, timeout=2.5, local_address="192.0.2.10",
                                  socket_options=options)  # fmt: skip
    # Then each address was tried with them, the zone left out, and the last failure raised
    assert asked.asked == [(PUBLIC, 8443, 2.5, "192.0.2.10", options),
                           ("2606:4700::1111", 8443, 2.5, "192.0.2.10", options)]  # fmt: skip
    # And a pause is the inner backend's
    await backend.sleep(0.25)
    assert asked.slept == [0.25]


async def test_a_local_socket_is_never_opened() -> None:
    backend = PublicAddressBackend(Asked([]), resolving([PUBLIC]))
    with pytest.raises(httpcore2.ConnectError, match=r"^federation never connects to a local"):
        await backend.connect_unix_socket("/run/postgresql/.s.PGSQL.5432")


def test_the_production_transport_keeps_its_bounds() -> None:
    transport = PublicOnlyTransport(PublicAddressBackend(), per_host=3, max_hosts=5)
    assert (transport.pools.per_host, transport.pools.max_hosts) == (3, 5)
