"""An HTTP transport that connects only to public addresses it has checked itself.

Checking a URL's host before a request is not enough: the HTTP client would resolve the name a
second time to connect, and a hostile DNS server can answer a public address the first time and
``127.0.0.1`` the second (DNS rebinding). Here the name is resolved once, when the connection is
opened; every address must be public, and the socket is opened to one of those very addresses.
TLS still names the host (certificate and SNI), since the pool starts TLS with the origin's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2
from httpcore2 import AsyncNetworkBackend, AsyncNetworkStream

from federation.addresses import Resolver, public_addresses

SocketOption = Any
DEFAULT_LIMITS = httpx2.Limits(max_connections=100, max_keepalive_connections=20)


class PublicAddressBackend(AsyncNetworkBackend):
    """Opens TCP connections to the vetted addresses of a host, in the resolver's order."""

    def __init__(
        self, inner: AsyncNetworkBackend | None = None, resolver: Resolver | None = None
    ) -> None:
        self.inner: AsyncNetworkBackend = inner or httpcore2.AnyIOBackend()
        self.resolver = resolver

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2 names it so)
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        addresses = await public_addresses(host, self.resolver)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address.split("%")[0],
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # public_addresses never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2 names it so)
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        raise httpcore2.ConnectError("federation never connects to a local socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PublicOnlyTransport(httpx2.AsyncHTTPTransport):
    """``httpx2.AsyncHTTPTransport`` whose connection pool opens its sockets through ``backend``.

    httpx2 does not take a network backend, so the pool it builds is replaced by the same pool
    with ours: the request and response handling of the transport is unchanged.
    """

    def __init__(
        self, backend: PublicAddressBackend, *, limits: httpx2.Limits = DEFAULT_LIMITS
    ) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=httpx2.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
