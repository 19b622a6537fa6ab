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
from httpcore2 import AsyncNetworkBackend, AsyncNetworkStream

from federation.addresses import Resolver, public_addresses
from federation.asyncio_streams import AsyncioBackend, TcpOnlyBackend
from federation.host_pools import (
    DEFAULT_MAX_HOSTS,
    DEFAULT_PER_HOST_CONNECTIONS,
    HostPoolTransport,
)

SocketOption = Any


class PublicAddressBackend(TcpOnlyBackend):
    """Opens TCP connections to the vetted addresses of a host, in the resolver's order."""

    def __init__(
        self, inner: AsyncNetworkBackend | None = None, resolver: Resolver | None = None
    ) -> None:
        self.inner: AsyncNetworkBackend = inner or AsyncioBackend()
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

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PublicOnlyTransport(HostPoolTransport):
    """The transport of the production client: a pool per server (``federation.host_pools``),
    every socket opened through ``backend`` to an address it has checked."""

    def __init__(
        self,
        backend: PublicAddressBackend,
        *,
        per_host: int = DEFAULT_PER_HOST_CONNECTIONS,
        max_hosts: int = DEFAULT_MAX_HOSTS,
    ) -> None:
        super().__init__(backend, per_host=per_host, max_hosts=max_hosts)
