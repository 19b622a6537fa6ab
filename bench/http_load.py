"""A raw HTTP/1.1 load generator: prepared request bytes replayed over keep-alive connections
(plain asyncio streams on uvloop), each request's latency measured. Cheaper per request than any
HTTP client library, so the server, not the generator, is what is measured."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

REQUEST_TIMEOUT_S = 10.0


@dataclass
class Outcome:
    statuses: dict[int, int]
    latencies: list[float]
    seconds: float
    errors: int

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(int(share * len(ordered)), len(ordered) - 1)] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding":
            raise RuntimeError("chunked answers are not expected here")
    if length:
        await reader.readexactly(length)
    return status


async def blast(
    port: int,
    requests: list[bytes],
    concurrency: int,
    max_seconds: float,
    rate: float | None = None,
) -> Outcome:
    """Send ``requests`` over ``concurrency`` keep-alive connections, each once; with ``rate``,
    the n-th request leaves no earlier than n / rate seconds after the start (an open load that
    does not slow down when the server does, as long as connections are free)."""
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    errors = 0
    position = 0
    deadline = time.perf_counter() + max_seconds

    async def connection() -> None:
        nonlocal position, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while position < len(requests) and time.perf_counter() < deadline:
                request = requests[position]
                if rate is not None:
                    delay = begun + position / rate - time.perf_counter()
                    position += 1
                    if delay > 0:
                        await asyncio.sleep(delay)
                else:
                    position += 1
                started = time.perf_counter()
                writer.write(request)
                try:
                    status = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_S)
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    begun = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return Outcome(statuses, latencies, time.perf_counter() - begun, errors)


def run_load(
    port: int,
    requests: list[bytes],
    concurrency: int,
    max_seconds: float,
    rate: float | None = None,
) -> Outcome:
    from quartiers import event_loop

    return event_loop.run(blast(port, requests, concurrency, max_seconds, rate))
