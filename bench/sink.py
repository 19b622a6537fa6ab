"""Loopback inboxes for the delivery benches: one uvicorn process answers 202 to every POST,
for any host name, and counts what it received by (Host, activity id); named hosts answer late.

The worker's requests keep their remote URL (its host is what is signed, what the per-host
bounds count and what the connections are kept by); ``LoopbackTransport`` only opens their
sockets to the sink's.

Run alone (by ``sink_process``): ``python bench/sink.py PORT [--slow HOST=SECONDS]...``
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpcore2
import httpx2
from support import die_with_parent, free_port, server_process

from federation.asyncio_streams import AsyncioBackend
from federation.host_pools import HostPoolTransport

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def sink_app(
    slow_hosts: dict[str, float] | None = None,
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Answers 202 to every POST and counts (Host, activity id); ``GET /stats`` tells the counts.

    A POST whose ``Host`` is in ``slow_hosts`` is answered after that many seconds.
    """
    counts: dict[tuple[str, str], int] = {}
    delays = slow_hosts or {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST":
            host = dict(scope["headers"]).get(b"host", b"").decode()
            key = (host, str(json.loads(body)["id"]))
            if host in delays:
                await asyncio.sleep(delays[host])
            counts[key] = counts.get(key, 0) + 1
            status, payload = 202, b""
        else:
            status = 200
            payload = json.dumps([[host, uri, n] for (host, uri), n in counts.items()]).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


@asynccontextmanager
async def sink_process(slow_hosts: dict[str, float] | None = None) -> AsyncIterator[int]:
    """The sink in a process of its own; yields its port."""
    port = free_port()
    slow = [f"--slow={host}={seconds}" for host, seconds in (slow_hosts or {}).items()]
    async with server_process([str(Path(__file__)), str(port), *slow], port, "/stats"):
        yield port


async def sink_counts(port: int) -> dict[tuple[str, str], int]:
    """How many POSTs the sink received, by (Host, activity id)."""
    async with httpx2.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/stats", timeout=10)
    return {(host, uri): n for host, uri, n in response.json()}


class SinkBackend(httpcore2.AsyncNetworkBackend):
    """Opens every connection to the sink's socket, whatever the server it is meant for."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = AsyncioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2 names it so)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        return await self.inner.connect_tcp("127.0.0.1", self.port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class LoopbackTransport(HostPoolTransport):
    """The production client's transport (a pool per server, each server's connections its
    own), its sockets opened to the sink; the request keeps its URL and ``Host`` header."""

    def __init__(self, port: int) -> None:
        super().__init__(SinkBackend(port))


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--slow", action="append", default=[], help="HOST=SECONDS")
    args = parser.parse_args()
    slow_hosts = {host: float(seconds) for host, seconds in (s.split("=") for s in args.slow)}
    die_with_parent()
    uvicorn.run(
        sink_app(slow_hosts),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
