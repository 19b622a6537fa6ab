"""Connections are kept per server: a bounded pool for each, and only for the servers used last.

A keep-alive HTTP/1.1 server on 127.0.0.1 stands in for every remote server: the transport's
backend opens each socket to it, and the server counts the connections it was given per
``Host`` and how many of them were open at once.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpcore2
import httpx2
import pytest

from federation.asyncio_streams import AsyncioBackend
from federation.client import FederationClient
from federation.host_pools import HostPools, HostPoolTransport
from federation.public_transport import PublicOnlyTransport
from tests.certificates import self_signed_certificate
from tests.support import wait_until


@dataclass
class Servers:
    """What the stand-in server saw: connections per Host, open ones, the most open at once."""

    port: int = 0
    connections: Counter[str] = field(default_factory=Counter)
    open_now: Counter[str] = field(default_factory=Counter)
    most_open: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    answer_after: float = 0.0
    # A request to /slow is counted when it arrives, and answered once this is set.
    slow_arrived: int = 0
    release_slow: asyncio.Event = field(default_factory=asyncio.Event)

    async def slow_in_flight(self) -> None:
        async def arrived() -> bool:
            return self.slow_arrived == 1

        await wait_until(arrived, "the slow request at the server")


@asynccontextmanager
async def remote_servers() -> AsyncIterator[Servers]:
    seen = Servers()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = ""
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode()
                slow = head.split(" ", 2)[1] == "/slow"
                fields = dict(line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line)
                headers = {name.lower(): value.strip() for name, value in fields.items()}
                if not host:
                    host = headers["host"]
                    seen.connections[host] += 1
                    seen.open_now[host] += 1
                    seen.most_open[host] = max(seen.most_open[host], seen.open_now[host])
                await reader.readexactly(int(headers.get("content-length", "0")))
                if slow:
                    seen.slow_arrived += 1
                    await seen.release_slow.wait()
                else:
                    await asyncio.sleep(seen.answer_after)
                writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if host:
                seen.open_now[host] -= 1
                seen.closed[host] += 1
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    seen.port = server.sockets[0].getsockname()[1]
    try:
        yield seen
    finally:
        server.close()


class ToTheLocalServer(httpcore2.AsyncNetworkBackend):
    def __init__(self, port: int, down: str = "") -> None:
        self.port = port
        self.down = down  # a host that never answers
        self.inner = AsyncioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        if host == self.down:
            raise httpcore2.ConnectError(f"{host} does not answer")
        return await self.inner.connect_tcp("127.0.0.1", self.port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def client_through(transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=transport, timeout=5.0)


async def settle(servers: Servers, host: str, closed: int) -> None:
    for _ in range(100):
        if servers.closed[host] >= closed:
            return
        await asyncio.sleep(0.01)


async def test_a_server_never_gets_more_connections_at_once_than_its_bound() -> None:
    async with remote_servers() as servers:
        # Given a transport keeping at most two connections to a server, which answers slowly
        servers.answer_after = 0.05
        transport = HostPoolTransport(ToTheLocalServer(servers.port), per_host=2)
        async with client_through(transport) as http:
            # When six deliveries go to that server at once, and one to another server
            posts = [http.post("http://busy.example/inbox", content=b"{}") for _ in range(6)]
            answers = await asyncio.gather(*posts, http.post("http://calm.example/inbox"))

    # Then all were answered, over two connections to the busy server, reused
    assert [answer.status_code for answer in answers] == [202] * 7
    assert servers.most_open["busy.example"] == 2
    assert servers.connections["busy.example"] == 2
    assert servers.connections["calm.example"] == 1


async def test_a_server_spoken_to_again_reuses_its_own_connection() -> None:
    async with remote_servers() as servers:
        transport = HostPoolTransport(ToTheLocalServer(servers.port))
        async with client_through(transport) as http:
            # When two servers are each sent two deliveries, one after the other
            for url in ["http://a.example/inbox", "http://b.example/inbox"] * 2:
                assert (await http.post(url, content=b"{}")).status_code == 202

            # Then each server was given one connection, kept in a pool of its own
            assert servers.connections == Counter({"a.example": 1, "b.example": 1})
            assert transport.pools.authorities() == [
                (b"http", b"a.example", 80),
                (b"http", b"b.example", 80),
            ]


async def test_only_the_servers_used_last_keep_their_connections() -> None:
    async with remote_servers() as servers:
        # Given a transport keeping the pools of two servers at most
        transport = HostPoolTransport(ToTheLocalServer(servers.port), max_hosts=2)
        async with client_through(transport) as http:
            # When three servers are spoken to in turn
            for name in ["one", "two", "three"]:
                await http.post(f"http://{name}.example/inbox", content=b"{}")
            await settle(servers, "one.example", closed=1)

            # Then the first one's connection was closed, the two others are kept
            assert servers.closed == Counter({"one.example": 1})
            assert [host for _, host, _ in transport.pools.authorities()] == [
                b"two.example",
                b"three.example",
            ]


async def test_a_server_with_a_request_in_flight_keeps_its_pool() -> None:
    async with remote_servers() as servers:
        transport = HostPoolTransport(ToTheLocalServer(servers.port), max_hosts=1)
        async with client_through(transport) as http:
            # Given a slow delivery in flight to one server
            slow = asyncio.create_task(http.post("http://slow.example/slow", content=b"{}"))
            await servers.slow_in_flight()

            # When another server is spoken to meanwhile
            fast = await http.post("http://fast.example/inbox", content=b"{}")

            # Then the slow one's pool was kept until its answer came
            assert fast.status_code == 202
            assert servers.closed["slow.example"] == 0
            servers.release_slow.set()
            assert (await slow).status_code == 202
            assert servers.closed["slow.example"] == 0


async def test_the_production_clients_keep_connections_per_server() -> None:
    pinned = FederationClient.create(user_agent="qc/1", per_host_connections=3)
    open_client = FederationClient.create(user_agent="qc/1", allow_private_addresses=True)
    try:
        for client in (pinned, open_client):
            transport = client.http._transport
            assert isinstance(transport, HostPoolTransport)
        assert isinstance(pinned.http._transport, PublicOnlyTransport)
        assert pinned.http._transport.pools.per_host == 3
    finally:
        await pinned.aclose()
        await open_client.aclose()


async def test_a_server_whose_requests_have_all_ended_gives_up_its_pool() -> None:
    async with remote_servers() as servers:
        transport = HostPoolTransport(ToTheLocalServer(servers.port, down="down.example"),
                                      max_hosts=1)  # fmt: skip
        async with client_through(transport) as http:
            # Given a server that never answered, and a server with two requests at once, one
            # quick and one slow
            with pytest.raises(httpx2.ConnectError):
                await http.post("http://down.example/inbox", content=b"{}")
            slow = asyncio.create_task(http.post("http://busy.example/slow", content=b"{}"))
            await servers.slow_in_flight()
            assert (await http.post("http://busy.example/quick")).status_code == 202

            # When another server is spoken to while the slow request is still in flight
            assert (await http.post("http://calm.example/inbox")).status_code == 202

            # Then the pool of the server that failed went, the busy one's stayed for its slow
            # request, which was answered
            assert servers.closed["busy.example"] == 0
            servers.release_slow.set()
            assert (await slow).status_code == 202
            assert servers.closed["busy.example"] == 0
            assert b"down.example" not in [host for _, host, _ in transport.pools.authorities()]


async def test_an_answer_keeps_its_headers_and_its_connection_details() -> None:
    async with remote_servers() as servers:
        transport = HostPoolTransport(ToTheLocalServer(servers.port))
        async with client_through(transport) as http:
            answer = await http.post("http://a.example/inbox", content=b"{}")
    assert answer.headers["content-length"] == "0"
    assert answer.http_version == "HTTP/1.1" and answer.reason_phrase == "Accepted"
    assert "network_stream" in answer.extensions


async def test_idle_connections_are_kept_within_their_bound_and_for_their_time() -> None:
    async with remote_servers() as servers:
        # Given a server allowed two connections, one of them kept idle, for 0.2 s
        servers.answer_after = 0.1
        transport = HostPoolTransport(ToTheLocalServer(servers.port), per_host=2,
                                      keepalive_per_host=1)  # fmt: skip
        transport.pools.keepalive_seconds = 0.2
        async with client_through(transport) as http:
            # When two deliveries go to it at once
            posts = [http.post("http://a.example/inbox", content=b"{}") for _ in range(2)]
            assert [answer.status_code for answer in await asyncio.gather(*posts)] == [202] * 2
            # Then one of its two connections is closed, the other kept
            await settle(servers, "a.example", closed=1)
            assert (servers.connections["a.example"], servers.closed["a.example"]) == (2, 1)
            # And once idle longer than its time, the kept one is not used again
            await asyncio.sleep(0.3)
            servers.answer_after = 0.0
            assert (await http.post("http://a.example/inbox")).status_code == 202
            assert servers.connections["a.example"] == 3


def test_a_pool_needs_a_connection_per_server_and_room_for_a_server() -> None:
    context = httpx2.create_ssl_context(trust_env=False)
    backend = AsyncioBackend()
    assert HostPools(backend, context, per_host=1, max_hosts=1).per_host == 1
    for per_host, max_hosts in ((0, 1), (1, 0)):
        with pytest.raises(ValueError, match=r"^a server needs one connection at least, and "):
            HostPools(backend, context, per_host=per_host, max_hosts=max_hosts)


# --------------------------------------------------------------------------- HTTPS


@asynccontextmanager
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[int, Path]]:
    """A server for paquis.example with a self-signed certificate; its port and certificate."""
    certificate, key = self_signed_certificate(tmp_path, "paquis.example")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1], certificate
    finally:
        server.close()


async def test_a_servers_pool_speaks_tls_with_the_trust_it_was_given(tmp_path: Path) -> None:
    async with tls_server(tmp_path) as (port, certificate):
        trusting = ssl.create_default_context(cafile=str(certificate))
        async with HostPools(ToTheLocalServer(port), trusting) as pools:
            response = await pools.handle_async_request(
                httpcore2.Request(
                    "GET", "https://paquis.example/", headers=[(b"Host", b"paquis.example")]
                )
            )
            assert response.status == 200
            assert await response.aread() == b"ok"
            await response.aclose()


async def test_the_transport_trusts_no_certificate_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with tls_server(tmp_path) as (port, certificate):
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
        async with client_through(HostPoolTransport(ToTheLocalServer(port))) as http:
            with pytest.raises(httpx2.ConnectError, match="certificate verify failed"):
                await http.get("https://paquis.example/")
