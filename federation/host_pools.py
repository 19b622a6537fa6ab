"""Connections kept per remote server: one small pool for each authority (scheme, host, port).

One connection pool for every server is quadratic for a fan-out: before each request and after
each response, httpcore looks at every connection of the pool (and probes the socket of each
idle one), so a post to a thousand servers through a pool of a hundred connections costs a
hundred thousand checks. Here each server has its own pool, bounded (``per_host``: a server
never gets more connections at once than that), and only the servers used last keep theirs
(``max_hosts``; the least recently used goes first, never one with a request in flight).
"""

from __future__ import annotations

import ssl
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import httpcore2
import httpx2
from httpcore2 import AsyncNetworkBackend

from federation.asyncio_streams import AsyncioBackend

DEFAULT_PER_HOST_CONNECTIONS = 8
DEFAULT_KEEPALIVE_PER_HOST = 2
DEFAULT_MAX_HOSTS = 128
DEFAULT_KEEPALIVE_SECONDS = 5.0

Authority = tuple[bytes, bytes, int]


@dataclass(eq=False, slots=True)
class _ServerPool:
    pool: httpcore2.AsyncConnectionPool
    in_flight: int = field(default=0)


class _ReleasedOnClose:
    """A response body that counts its request as finished once it is closed."""

    def __init__(self, stream: AsyncIterable[bytes], server: _ServerPool) -> None:
        self._stream = stream
        self._server: _ServerPool | None = server

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            close = getattr(self._stream, "aclose", None)
            if close is not None:
                await close()
        finally:
            if self._server is not None:
                self._server.in_flight -= 1
                self._server = None


class HostPools:
    """The connection pools of the servers spoken to lately, one per authority.

    It takes the place of httpcore's single pool inside ``httpx2.AsyncHTTPTransport``: the
    transport's request and response handling (and its mapping of errors) is unchanged.
    """

    def __init__(
        self,
        backend: AsyncNetworkBackend,
        ssl_context: ssl.SSLContext,
        *,
        per_host: int = DEFAULT_PER_HOST_CONNECTIONS,
        keepalive_per_host: int = DEFAULT_KEEPALIVE_PER_HOST,
        keepalive_seconds: float = DEFAULT_KEEPALIVE_SECONDS,
        max_hosts: int = DEFAULT_MAX_HOSTS,
    ) -> None:
        if per_host < 1 or max_hosts < 1:
            raise ValueError("a server needs one connection at least, and one server a pool")
        self.backend = backend
        self.ssl_context = ssl_context
        self.per_host = per_host
        self.keepalive_per_host = min(keepalive_per_host, per_host)
        self.keepalive_seconds = keepalive_seconds
        self.max_hosts = max_hosts
        self._servers: OrderedDict[Authority, _ServerPool] = OrderedDict()

    def __len__(self) -> int:
        return len(self._servers)

    def authorities(self) -> list[Authority]:
        """The servers that have a pool, least recently used first."""
        return list(self._servers)

    async def handle_async_request(self, request: httpcore2.Request) -> httpcore2.Response:
        origin = request.url.origin
        server = self._server_for((origin.scheme, origin.host, origin.port))
        server.in_flight += 1
        try:
            await self._close_least_recent()
            response = await server.pool.handle_async_request(request)
        except BaseException:
            server.in_flight -= 1
            raise
        assert isinstance(response.stream, AsyncIterable)
        return httpcore2.Response(
            status=response.status,
            headers=response.headers,
            content=_ReleasedOnClose(response.stream, server),
            extensions=response.extensions,
        )

    def _server_for(self, authority: Authority) -> _ServerPool:
        server = self._servers.get(authority)
        if server is not None:
            self._servers.move_to_end(authority)
            return server
        server = _ServerPool(
            httpcore2.AsyncConnectionPool(
                ssl_context=self.ssl_context,
                max_connections=self.per_host,
                max_keepalive_connections=self.keepalive_per_host,
                keepalive_expiry=self.keepalive_seconds,
                network_backend=self.backend,
            )
        )
        self._servers[authority] = server
        return server

    async def _close_least_recent(self) -> None:
        """Close the pools beyond ``max_hosts``, oldest first, skipping those still in use."""
        surplus = len(self._servers) - self.max_hosts
        if surplus <= 0:
            return
        idle: list[Authority] = []
        for authority, server in self._servers.items():
            if len(idle) == surplus:
                break
            if server.in_flight == 0:
                idle.append(authority)
        # Out of the map before the first wait: no request can pick a pool being closed.
        closing = [self._servers.pop(authority) for authority in idle]
        for server in closing:
            await server.pool.aclose()

    async def aclose(self) -> None:
        servers = list(self._servers.values())
        self._servers.clear()
        for server in servers:
            await server.pool.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()


class HostPoolTransport(httpx2.AsyncHTTPTransport):
    """``httpx2.AsyncHTTPTransport`` with a pool per server, opening its sockets through
    ``backend``."""

    def __init__(
        self,
        backend: AsyncNetworkBackend | None = None,
        *,
        per_host: int = DEFAULT_PER_HOST_CONNECTIONS,
        max_hosts: int = DEFAULT_MAX_HOSTS,
        keepalive_per_host: int = DEFAULT_KEEPALIVE_PER_HOST,
    ) -> None:
        # The transport's own pool is replaced; one connection at most is its bound.
        super().__init__(limits=httpx2.Limits(max_connections=1), trust_env=False)
        self.pools = HostPools(
            backend or AsyncioBackend(),
            httpx2.create_ssl_context(trust_env=False),
            per_host=per_host,
            keepalive_per_host=keepalive_per_host,
            max_hosts=max_hosts,
        )
        self._pool = self.pools  # type: ignore[assignment]
