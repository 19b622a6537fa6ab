"""Loopback inboxes for the delivery benches: one uvicorn process answers 202 to every POST,
for any host name, and counts what it received by (Host, activity id); named hosts answer late.

The worker's requests keep their remote URL (its host is what is signed and what the per-host
bounds count); ``LoopbackTransport`` only sends them to the sink's socket.

Run alone (by ``sink_process``): ``python bench/sink.py PORT [--slow HOST=SECONDS]...``
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
from support import die_with_parent, free_port, server_process

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


class LoopbackTransport(httpx2.AsyncBaseTransport):
    """Sends every request to the sink's socket, keeping its URL host in the ``Host`` header."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


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
