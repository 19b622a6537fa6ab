"""Instance domain blocks, read through a short-lived cache (checked on every inbox POST)."""

from __future__ import annotations

import time

from sqlalchemy import select

from storage.database import Database
from storage.models import DomainBlock

CACHE_SECONDS = 5.0


def is_blocked_host(host: str, blocked: frozenset[str]) -> bool:
    """A block on ``example.org`` covers ``example.org`` and all of its subdomains."""
    parts = host.lower().rstrip(".").split(".")
    return any(".".join(parts[i:]) in blocked for i in range(len(parts)))


class DomainBlocks:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._domains: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")

    async def domains(self) -> frozenset[str]:
        if time.monotonic() - self._loaded_at > CACHE_SECONDS:
            async with self.database.session() as session:
                self._domains = frozenset((await session.scalars(select(DomainBlock.domain))).all())
            self._loaded_at = time.monotonic()
        return self._domains

    async def is_blocked(self, host: str) -> bool:
        return is_blocked_host(host, await self.domains())

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")
