"""Signing deliveries in other processes, so that the event loop keeps sending while RSA works.

A 2048-bit RSA signature costs one to a few milliseconds of CPU: one post to a thousand
servers is a thousand signatures (one per shared inbox), seconds of a single core, during which
a worker signing on its event loop sends nothing else and records nothing. The pool signs on
as many processes as configured (none by default: the worker signs); the loop only sends the
request's parts and reads back its signed headers. Processes start when the first request is signed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from federation.signatures import Scheme, sign_request

if TYPE_CHECKING:
    # Only a type here: the signing processes import this module, not the HTTP client.
    from federation.client import Signer


def _sign(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    scheme: Scheme,
) -> dict[str, str]:
    # Runs in a pool process; the key is parsed once per process (federation.keys caches it).
    return sign_request(method, url, headers, body, key_id, private_key_pem, scheme)


def _process_id() -> int:
    return os.getpid()


def signing_processes(configured: int) -> int:
    """How many processes sign beside the worker: the configured number; 0, the default, keeps
    signing in the worker, since each process costs about 80 MB and a pool has shown no gain on a
    busy two-core machine (`bench/fanout.py` prints both signing floors)."""
    return max(configured, 0)


class SigningPool:
    """Signs requests on ``processes`` processes (started with ``spawn``: the server's threads
    and open connections are not copied into them)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn")
        )

    async def __call__(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        signer: Signer,
        scheme: Scheme,
    ) -> dict[str, str]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor,
            _sign,
            method,
            url,
            headers,
            body,
            signer.key_id,
            signer.private_key_pem,
            scheme,
        )

    async def start(self) -> set[int]:
        """Start every process now (not while the first deliveries wait); returns their ids."""
        loop = asyncio.get_running_loop()
        answers = [loop.run_in_executor(self._executor, _process_id) for _ in range(self.processes)]
        return set(await asyncio.gather(*answers))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
