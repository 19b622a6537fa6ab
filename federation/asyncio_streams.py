"""Sockets for the HTTP client straight on the asyncio event loop.

httpcore's default backend goes through anyio, which opens a cancel scope around every read and
every write to apply its timeout: a dozen scopes and some fifty task lookups per request. A
delivery to a thousand servers pays that a thousand times on the worker's one core. Here a
connection is an ``asyncio.Protocol``: what the loop receives waits in a buffer, a read that finds
it empty waits on one future, and a timeout is one timer that fails that future. The errors are
httpcore's (``ConnectError``, ``ReadTimeout``…), so the client above sees no difference.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any, cast

import httpcore2
from httpcore2 import AsyncNetworkBackend, AsyncNetworkStream

SocketOption = Any

# A server sending faster than the response is read waits, from this many bytes in the buffer.
READ_BUFFER_LIMIT = 256 * 1024


class _Connection(asyncio.Protocol):
    """What one socket has received and whether it can take more writing."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.ended = False  # the peer closed its side, or the connection is lost
        self.lost: Exception | None = None
        self.reader: asyncio.Future[None] | None = None
        self.writer: asyncio.Future[None] | None = None
        self.paused = False

    # Called by the event loop.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        self.received += data
        if len(self.received) > READ_BUFFER_LIMIT and self.transport is not None:
            self.transport.pause_reading()
        _wake(self.reader)

    def take(self, max_bytes: int) -> bytes:
        data = bytes(self.received[:max_bytes])
        del self.received[:max_bytes]
        transport = self.transport
        if (
            transport is not None
            and not transport.is_reading()
            and len(self.received) <= READ_BUFFER_LIMIT
            and not self.ended
        ):
            transport.resume_reading()
        return data

    def eof_received(self) -> bool:
        self.ended = True
        _wake(self.reader)
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.lost = exc
        self.paused = False
        _wake(self.reader)
        _wake(self.writer)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        _wake(self.writer)


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _fail(waiter: asyncio.Future[None], error: Exception) -> None:
    if not waiter.done():
        waiter.set_exception(error)


async def _wait(
    waiter: asyncio.Future[None], seconds: float | None, error: type[Exception]
) -> None:
    """Wait for ``waiter``; after ``seconds`` it fails with ``error``."""
    if seconds is None:
        await waiter
        return
    timer = asyncio.get_running_loop().call_later(
        seconds, _fail, waiter, error(f"no progress in {seconds:g} s")
    )
    try:
        await waiter
    finally:
        timer.cancel()


class AsyncioStream(AsyncNetworkStream):
    """One connection, plain or TLS, read and written through its protocol."""

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection

    @property
    def _transport(self) -> asyncio.Transport:
        """The connection's transport: the TLS one once TLS has started."""
        transport = self._connection.transport
        assert transport is not None  # set by the loop as the connection was made
        return transport

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        connection = self._connection
        if not connection.received and not connection.ended:
            waiter = connection.reader = asyncio.get_running_loop().create_future()
            try:
                await _wait(waiter, timeout, httpcore2.ReadTimeout)
            finally:
                connection.reader = None
        if connection.received:
            return connection.take(max_bytes)
        if connection.lost is not None:
            raise httpcore2.ReadError(str(connection.lost) or type(connection.lost).__name__)
        return b""  # the server closed the connection

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not buffer:
            return
        connection = self._connection
        if connection.ended or self._transport.is_closing():
            raise httpcore2.WriteError("the connection is closed")
        self._transport.write(buffer)
        if connection.paused:
            waiter = connection.writer = asyncio.get_running_loop().create_future()
            try:
                await _wait(waiter, timeout, httpcore2.WriteTimeout)
            finally:
                connection.writer = None
            if connection.lost is not None:
                raise httpcore2.WriteError(str(connection.lost))

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport,
                    self._connection,
                    ssl_context,
                    server_hostname=server_hostname,
                )
        except TimeoutError as error:
            self._transport.close()
            raise httpcore2.ConnectTimeout(f"no TLS handshake in {timeout:g} s") from error
        except (OSError, ssl.SSLError) as error:
            self._transport.close()
            raise httpcore2.ConnectError(str(error)) from error
        assert transport is not None
        self._connection.transport = transport
        return AsyncioStream(self._connection)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        if info == "is_readable":
            # Asked of an idle connection: anything received, or the end of it, means the server
            # has closed it (or said something unasked), and it must not be used again.
            connection = self._connection
            return bool(connection.received) or connection.ended or self._transport.is_closing()
        return None


class TcpOnlyBackend(AsyncNetworkBackend):
    """A network backend of the federation client: TCP connections only, waits on the loop."""

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2 names it so)
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        raise httpcore2.ConnectError("federation never connects to a local socket")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class AsyncioBackend(TcpOnlyBackend):
    """Opens connections on the running asyncio loop (uvloop's included)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2 names it so)
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        connection = _Connection()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(lambda: connection, host, port, local_addr=local)
        except TimeoutError as error:
            raise httpcore2.ConnectTimeout(f"no connection in {timeout:g} s") from error
        except OSError as error:
            raise httpcore2.ConnectError(str(error)) from error
        stream = AsyncioStream(connection)
        for option in socket_options or ():
            stream.get_extra_info("socket").setsockopt(*option)
        return stream
