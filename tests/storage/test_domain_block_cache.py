"""The suspended domains every inbox POST checks: read through a cache that one read refreshes
for all the requests waiting on it, and that a block made meanwhile does not leave stale."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from storage import blocks
from storage.blocks import DomainBlocks, block_domain
from storage.database import Database


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[frozenset[str]]:
    """Each read of the suspended domains, as it returned; a read takes a few milliseconds after
    its query, the time for other requests (or an admin's block) to arrive."""
    seen: list[frozenset[str]] = []
    real = blocks.suspended_domains

    async def slow_read(session: AsyncSession) -> frozenset[str]:
        domains = await real(session)
        seen.append(domains)
        await asyncio.sleep(0.02)
        return domains

    monkeypatch.setattr(blocks, "suspended_domains", slow_read)
    return seen


async def block(database: Database, domain: str) -> None:
    async with database.transaction() as session:
        await block_domain(session, domain)


async def test_requests_arriving_while_the_cache_is_read_share_that_read(
    database: Database, reads: list[frozenset[str]]
) -> None:
    # Given a suspended domain and an empty cache
    await block(database, "spam.example")
    cache = DomainBlocks(database)

    # When forty requests check their senders at once
    answers = await asyncio.gather(
        *(cache.is_blocked(f"{name}.example") for name in ["spam", "fine"] * 20)
    )

    # Then the domains were read once, and each request got its answer
    assert reads == [frozenset({"spam.example"})]
    assert answers == [True, False] * 20


async def test_a_block_made_while_the_cache_is_read_is_seen_by_the_next_check(
    database: Database, reads: list[frozenset[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a check whose read of the cache has queried the domains but not yet returned
    gate, queried = asyncio.Event(), asyncio.Event()
    read = blocks.suspended_domains

    async def held_read(session: AsyncSession) -> frozenset[str]:
        domains = await read(session)
        queried.set()
        await gate.wait()
        return domains

    monkeypatch.setattr(blocks, "suspended_domains", held_read)
    cache = DomainBlocks(database)
    first = asyncio.create_task(cache.is_blocked("spam.example"))
    await queried.wait()

    # When an admin suspends the domain meanwhile (the pages invalidate the cache)
    await block(database, "spam.example")
    cache.invalidate()
    gate.set()

    # Then the read begun before the block is not kept: the domains are read again, and both
    # the waiting check and the next one refuse the domain
    assert await first is True
    assert await cache.is_blocked("spam.example") is True
    assert reads == [frozenset(), frozenset({"spam.example"})]


async def test_a_failed_read_is_tried_again_by_the_next_check(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a database that fails the first read of the domains
    real = blocks.suspended_domains
    failures = [RuntimeError("database gone for a moment")]

    async def failing_once(session: AsyncSession) -> frozenset[str]:
        if failures:
            raise failures.pop()
        return await real(session)

    monkeypatch.setattr(blocks, "suspended_domains", failing_once)
    await block(database, "spam.example")
    cache = DomainBlocks(database)

    # When two checks run, one after the other
    with pytest.raises(RuntimeError):
        await cache.is_blocked("spam.example")

    # Then the second reads again and answers
    assert await cache.is_blocked("spam.example") is True
