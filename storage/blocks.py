"""Instance domain blocks: written here only (by the admin pages and the command line alike),
read through a short-lived cache (checked on every inbox POST)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.models import DomainBlock

CACHE_SECONDS = 5.0


def is_blocked_host(host: str, blocked: frozenset[str]) -> bool:
    """A block on ``example.org`` covers ``example.org`` and all of its subdomains."""
    parts = host.lower().rstrip(".").split(".")
    return any(".".join(parts[i:]) in blocked for i in range(len(parts)))


async def block_domain(session: AsyncSession, domain: str, reason: str = "") -> bool:
    """Block ``domain`` (already normalised); False when it was blocked already."""
    if await session.get(DomainBlock, domain) is not None:
        return False
    session.add(DomainBlock(domain=domain, reason=reason))
    return True


async def unblock_domain(session: AsyncSession, domain: str) -> bool:
    """Lift the block on ``domain``; False when it was not blocked."""
    result = await session.execute(delete(DomainBlock).where(DomainBlock.domain == domain))
    return bool(getattr(result, "rowcount", 0))


async def list_blocks(session: AsyncSession) -> Sequence[DomainBlock]:
    return (await session.scalars(select(DomainBlock).order_by(DomainBlock.domain))).all()


async def count_blocks(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(DomainBlock)) or 0


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
