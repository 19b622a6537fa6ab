"""Instance domain blocks: written here only (by the admin pages, the command line and the
review of subscribed blocklists alike), read through a short-lived cache (checked on every inbox
POST).

A block is a suspension (nothing received, nothing sent) or a limit (received and delivered,
but kept out of the city's shared views: see :func:`limited_actor_ids`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, delete, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.database import Database
from storage.models import Actor, DomainBlock
from storage.models.hosts import LIMIT, SEVERITIES, SUSPEND

CACHE_SECONDS = 5.0


def is_blocked_host(host: str, blocked: frozenset[str]) -> bool:
    """A block on ``example.org`` covers ``example.org`` and all of its subdomains."""
    parts = host.lower().rstrip(".").split(".")
    return any(".".join(parts[i:]) in blocked for i in range(len(parts)))


async def block_domain(
    session: AsyncSession,
    domain: str,
    reason: str = "",
    *,
    severity: str = SUSPEND,
    source_url: str | None = None,
) -> bool:
    """Block or limit ``domain`` (already normalised); a block already there takes the new
    severity and reason (its origin stays). False when nothing changed."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    block = await session.get(DomainBlock, domain)
    if block is None:
        session.add(
            DomainBlock(domain=domain, reason=reason, severity=severity, source_url=source_url)
        )
        return True
    if block.severity == severity and (not reason or block.reason == reason):
        return False
    block.severity = severity
    if reason:
        block.reason = reason
    return True


async def unblock_domain(session: AsyncSession, domain: str) -> bool:
    """Lift the block or limit on ``domain``; False when there was none."""
    result = await session.execute(delete(DomainBlock).where(DomainBlock.domain == domain))
    return bool(getattr(result, "rowcount", 0))


async def block_of(session: AsyncSession, domain: str) -> DomainBlock | None:
    return await session.get(DomainBlock, domain)


async def list_blocks(session: AsyncSession) -> Sequence[DomainBlock]:
    return (await session.scalars(select(DomainBlock).order_by(DomainBlock.domain))).all()


async def count_blocks(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(DomainBlock)) or 0


async def suspended_domains(session: AsyncSession) -> frozenset[str]:
    found = await session.scalars(select(DomainBlock.domain).where(DomainBlock.severity == SUSPEND))
    return frozenset(found.all())


def _on_blocked_domain(domain: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """``domain`` (of an actor, maybe with a port) is the blocked one or one of its subdomains."""
    blocked = DomainBlock.domain
    return or_(
        domain == blocked,
        domain.like(literal("%.") + blocked),
        domain.like(blocked + literal(":%")),
        domain.like(literal("%.") + blocked + literal(":%")),
    )


def limited_actor_ids() -> Select[int]:
    """The ids of the remote actors on a limited domain (or a subdomain of one).

    One statement with no parameter, read from ``domain_blocks`` as it is when it runs, so that
    the views whose statements are built once (the agenda) can use it too.
    """
    return (
        select(Actor.id)
        .join(DomainBlock, and_(DomainBlock.severity == LIMIT, _on_blocked_domain(Actor.domain)))
        .where(Actor.is_local.is_(False))
    )


async def is_limited_actor(session: AsyncSession, actor_id: int) -> bool:
    found = await session.scalar(limited_actor_ids().where(Actor.id == actor_id).limit(1))
    return found is not None


class DomainBlocks:
    """The suspended domains, for the checks of every inbox POST and remote fetch.

    When the cache is out of date, one read refreshes it for every request waiting meanwhile:
    a busy inbox has dozens of requests in flight, and each would otherwise open its own
    session to read the same list.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._domains: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")
        self._changes = 0
        self._loading: asyncio.Task[None] | None = None

    async def domains(self) -> frozenset[str]:
        while time.monotonic() - self._loaded_at > CACHE_SECONDS:
            loading = self._loading
            if loading is None or loading.get_loop() is not asyncio.get_running_loop():
                loading = self._loading = asyncio.create_task(self._load(self._changes))
            await asyncio.shield(loading)
        return self._domains

    async def _load(self, changes: int) -> None:
        try:
            async with self.database.session() as session:
                domains = await suspended_domains(session)
            if changes == self._changes:  # no block changed while it was read
                self._domains = domains
                self._loaded_at = time.monotonic()
        finally:
            if self._loading is asyncio.current_task():
                self._loading = None

    async def is_blocked(self, host: str) -> bool:
        return is_blocked_host(host, await self.domains())

    def invalidate(self) -> None:
        self._changes += 1
        self._loaded_at = float("-inf")
