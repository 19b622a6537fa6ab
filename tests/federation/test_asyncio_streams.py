"""The HTTP client's sockets on the event loop: reading, writing, their timeouts, the end of a
connection, TLS, on asyncio's own loop and on uvloop (the one `quartiers` commands run on)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpcore2
import pytest
import uvloop

from federation.asyncio_streams import READ_BUFFER_LIMIT, AsyncioBackend
from tests.certificates import self_signed_certificate

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Run = Callable[[Coroutine[Any, Any, None]], None]


@pytest.fixture(params=["asyncio", "uvloop"])
def run_on(request: pytest.FixtureRequest) -> Run:
    factory = uvloop.new_event_loop if request.param == "uvloop" else asyncio.new_event_loop

    def run(main: Coroutine[Any, Any, None]) -> None:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(asyncio.wait_for(main, 20))

    return run


@asynccontextmanager
async def local_server(handle: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


@asynccontextmanager
async def connected_to(
    handle: Handler, tls: ssl.SSLContext | None = None
) -> AsyncIterator[httpcore2.AsyncNetworkStream]:
    """A connection to a local server answering with ``handle``; closed afterwards."""
    async with local_server(handle, tls) as port:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        try:
            yield stream
        finally:
            await stream.aclose()


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    request = await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(request) + request)
    await writer.drain()
    await reader.read()  # until the client closes
    writer.close()


async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()
    writer.close()


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never came true")


async def read_exactly(stream: httpcore2.AsyncNetworkStream, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await stream.read(65536, timeout=5)
        assert chunk, "the connection ended early"
        data += chunk
    return data


def test_a_request_is_written_and_its_answer_read(run_on: Run) -> None:
    async def main() -> None:
        async with local_server(answer_ok) as port:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
            request = b"GET / HTTP/1.1\r\nHost: paquis.example\r\n\r\n"
            await stream.write(request, timeout=5)
            head = b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n"
            assert await read_exactly(stream, len(head) + 40) == head + request
            assert stream.get_extra_info("server_addr") == ("127.0.0.1", port)
            assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
            assert stream.get_extra_info("ssl_object") is None
            assert stream.get_extra_info("socket").fileno() >= 0
            assert stream.get_extra_info("is_readable") is False
            await stream.aclose()

    run_on(main())


def test_a_read_from_a_silent_server_stops_at_its_timeout(run_on: Run) -> None:
    async def main() -> None:
        async with connected_to(say_nothing) as stream:
            loop = asyncio.get_running_loop()
            began = loop.time()
            with pytest.raises(httpcore2.ReadTimeout, match=r"^no progress in 0\.2 s$"):
                await stream.read(1024, timeout=0.2)
            assert loop.time() - began >= 0.15  # it waited, and did not fail at once

    run_on(main())


def test_a_read_without_timeout_waits_for_the_server(run_on: Run) -> None:
    async def late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.3)
        writer.write(b"late")
        await writer.drain()
        await reader.read()
        writer.close()

    async def main() -> None:
        async with connected_to(late) as stream:
            assert await stream.read(1024) == b"late"

    run_on(main())


def test_a_connection_the_server_closed_reads_as_ended_and_is_not_used_again(
    run_on: Run,
) -> None:
    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"bye")
        await writer.drain()
        writer.close()

    async def main() -> None:
        async with connected_to(close_at_once) as stream:
            assert await stream.read(2, timeout=5) == b"by"
            assert await stream.read(1024, timeout=5) == b"e"
            assert await stream.read(1024, timeout=5) == b""
            assert stream._transport.is_closing()  # type: ignore[attr-defined] # ours closes too
            assert stream.get_extra_info("is_readable") is True
            with pytest.raises(httpcore2.WriteError, match=r"^the connection is closed$"):
                await stream.write(b"GET / HTTP/1.1\r\n\r\n", timeout=5)

    run_on(main())


def test_an_idle_connection_with_something_unasked_is_not_used_again(run_on: Run) -> None:
    async def speak_unasked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
        await writer.drain()
        await reader.read()
        writer.close()

    async def main() -> None:
        async with connected_to(speak_unasked) as stream:
            await until(lambda: stream.get_extra_info("is_readable"))
            assert stream.get_extra_info("is_readable") is True

    run_on(main())


def test_a_closed_port_is_a_connect_error(run_on: Run) -> None:
    async def main() -> None:
        async with local_server(say_nothing) as port:
            pass  # the port is free again
        with pytest.raises(httpcore2.ConnectError, match=r"^\[Errno 111\] Conn"):
            await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)

    run_on(main())


def test_a_connection_nobody_accepts_stops_at_its_timeout(run_on: Run) -> None:
    async def main() -> None:
        # A listening socket whose queue is full: the kernel drops further connections' SYNs.
        with socket.socket() as listening:
            listening.bind(("127.0.0.1", 0))
            listening.listen(0)
            port = listening.getsockname()[1]
            waiting = [socket.socket() for _ in range(4)]
            try:
                for client in waiting:
                    client.setblocking(False)
                    client.connect_ex(("127.0.0.1", port))
                await asyncio.sleep(0.1)
                with pytest.raises(httpcore2.ConnectTimeout, match=r"^no connection in 0\.2 s$"):
                    await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=0.2)
            finally:
                for client in waiting:
                    client.close()

    run_on(main())


def test_a_connection_leaves_from_the_address_and_with_the_options_asked(run_on: Run) -> None:
    async def main() -> None:
        async with local_server(say_nothing) as port:
            stream = await AsyncioBackend().connect_tcp(
                "127.0.0.1",
                port,
                timeout=5,
                local_address="127.0.0.2",
                socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
            )
            try:
                host, local_port = stream.get_extra_info("client_addr")
                assert host == "127.0.0.2"
                assert local_port >= 1024  # a port the system chose
                connected = stream.get_extra_info("socket")
                assert connected.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            finally:
                await stream.aclose()

    run_on(main())


def test_a_connection_the_server_resets_is_a_read_error_naming_the_reset(run_on: Run) -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        writer.transport.abort()

    async def main() -> None:
        async with connected_to(reset) as stream:
            with pytest.raises(httpcore2.ReadError, match="reset by peer"):
                await stream.read(1024, timeout=5)
            with pytest.raises(httpcore2.WriteError, match=r"^the connection is closed$"):
                await stream.write(b"GET / HTTP/1.1\r\n\r\n", timeout=5)

    run_on(main())


def test_a_waiting_write_to_a_server_that_resets_is_a_write_error_naming_the_reset(
    run_on: Run,
) -> None:
    async def main() -> None:
        reset = asyncio.Event()

        async def read_nothing_then_reset(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            await reset.wait()
            writer.transport.abort()  # unread bytes in its buffer: the kernel answers with a reset

        async def write_on(stream: httpcore2.AsyncNetworkStream) -> None:
            chunk = b"x" * 1024 * 1024
            for _ in range(200):  # far more than the kernel's buffers hold
                await stream.write(chunk, timeout=5)

        async with connected_to(read_nothing_then_reset) as stream:
            writing = asyncio.create_task(write_on(stream))
            await until(lambda: stream._connection.writer is not None)  # type: ignore[attr-defined]
            reset.set()  # while the write waits for room
            with pytest.raises(httpcore2.WriteError, match=r"reset by peer|Broken pipe"):
                await writing

    run_on(main())


def test_the_backend_waits_on_the_loop(run_on: Run) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        await AsyncioBackend().sleep(0.05)
        assert loop.time() - began >= 0.04

    run_on(main())


def test_a_local_socket_is_never_opened(run_on: Run) -> None:
    async def main() -> None:
        with pytest.raises(httpcore2.ConnectError, match=r"^federation never connects to a "):
            await AsyncioBackend().connect_unix_socket("/run/postgresql/.s.PGSQL.5432")

    run_on(main())


def test_a_server_sending_faster_than_it_is_read_waits(run_on: Run) -> None:
    size = 8 * READ_BUFFER_LIMIT
    body = bytes(range(256)) * (size // 256)

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(body)
        await writer.drain()
        await reader.read()
        writer.close()

    async def main() -> None:
        async with connected_to(flood) as stream:
            first = await stream.read(1, timeout=5)
            await asyncio.sleep(0.3)  # time enough for the whole body, were it read
            held = len(stream._connection.received)  # type: ignore[attr-defined]
            assert held <= READ_BUFFER_LIMIT + 256 * 1024
            # Reading on resumes the server, and nothing is lost or reordered
            assert first + await read_exactly(stream, size - 1) == body

    run_on(main())


def test_reading_pauses_past_the_limit_and_resumes_back_at_it(run_on: Run) -> None:
    async def main() -> None:
        more = asyncio.Event()

        async def send_in_two(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"a" * READ_BUFFER_LIMIT)
            await writer.drain()
            await more.wait()
            writer.write(b"b" * 1000)
            await writer.drain()
            await reader.read()
            writer.close()

        async with connected_to(send_in_two) as stream:
            connection = stream._connection  # type: ignore[attr-defined]
            transport = stream._transport  # type: ignore[attr-defined]
            await until(lambda: len(connection.received) == READ_BUFFER_LIMIT)
            assert transport.is_reading()  # at the limit, not past it
            more.set()
            await until(lambda: not transport.is_reading())
            assert len(connection.received) == READ_BUFFER_LIMIT + 1000
            assert await stream.read(1000, timeout=5) == b"a" * 1000
            assert transport.is_reading()  # back at the limit

    run_on(main())


def test_a_write_to_a_server_that_reads_nothing_stops_at_its_timeout(run_on: Run) -> None:
    async def never_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)
        writer.close()

    async def main() -> None:
        async with connected_to(never_read) as stream:
            chunk = b"x" * 1024 * 1024
            with pytest.raises(httpcore2.WriteTimeout, match=r"^no progress in 0\.2 s$"):
                for _ in range(200):  # far more than the kernel's buffers hold
                    await stream.write(chunk, timeout=0.2)

    run_on(main())


def test_a_write_waits_for_a_slow_server_and_goes_on_when_it_reads(run_on: Run) -> None:
    size = 16 * 1024 * 1024
    body = bytes(range(256)) * (size // 256)
    received = bytearray()

    async def read_late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.3)
        while len(received) < size:
            chunk = await reader.read(65536)
            if not chunk:
                break
            received.extend(chunk)
        writer.close()

    async def main() -> None:
        async with connected_to(read_late) as stream:
            for start in range(0, size, 1024 * 1024):
                await stream.write(body[start : start + 1024 * 1024], timeout=5)
            await until(lambda: len(received) == size)
            assert received == body

    run_on(main())


def test_a_write_of_nothing_sends_nothing(run_on: Run) -> None:
    async def main() -> None:
        async with connected_to(say_nothing) as stream:
            await stream.aclose()
            await stream.write(b"", timeout=5)  # not an error, even closed

    run_on(main())


# --------------------------------------------------------------------------- TLS


@pytest.fixture
def paquis_tls(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """The TLS context of a server for paquis.example, and a client's that trusts it."""
    certificate, key = self_signed_certificate(tmp_path, "paquis.example")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certificate, key)
    return server, ssl.create_default_context(cafile=str(certificate))


def test_a_tls_connection_checks_the_servers_name_and_carries_the_request(
    run_on: Run, paquis_tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_context, trusting = paquis_tls

    async def main() -> None:
        async with connected_to(answer_ok, server_context) as plain:
            stream = await plain.start_tls(trusting, server_hostname="paquis.example", timeout=5)
            ssl_object = stream.get_extra_info("ssl_object")
            assert isinstance(ssl_object, ssl.SSLObject)
            assert ssl_object.server_hostname == "paquis.example"
            request = b"GET / HTTP/1.1\r\nHost: paquis.example\r\n\r\n"
            await stream.write(request, timeout=5)
            head = b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n"
            assert await read_exactly(stream, len(head) + 40) == head + request

    run_on(main())


def test_a_tls_connection_to_another_name_is_a_connect_error(
    run_on: Run, paquis_tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_context, trusting = paquis_tls

    async def main() -> None:
        async with connected_to(answer_ok, server_context) as plain:
            with pytest.raises(httpcore2.ConnectError, match="certificate verify failed"):
                await plain.start_tls(trusting, server_hostname="servette.example", timeout=5)

    run_on(main())


def test_a_tls_handshake_with_a_silent_server_stops_at_its_timeout(
    run_on: Run, paquis_tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    _, trusting = paquis_tls

    async def main() -> None:
        async with connected_to(say_nothing) as plain:
            with pytest.raises(httpcore2.ConnectTimeout, match=r"^no TLS handshake in 0\.2 s$"):
                await plain.start_tls(trusting, server_hostname="paquis.example", timeout=0.2)

    run_on(main())
