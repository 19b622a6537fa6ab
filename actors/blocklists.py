"""Blocklists of other servers the admin subscribes to, and the entries they propose.

Nothing a list says is applied by itself: each new entry waits as a proposal until an admin
applies it (it becomes one of our blocks, remembering the list it came from) or dismisses it.
A domain blocked here already, or dismissed before, is not proposed again. Ending a
subscription keeps the blocks applied from it (they are the admin's now) and drops what waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.blocklist_csv import BlocklistEntry, ParsedBlocklist
from storage.blocks import block_domain, list_blocks
from storage.models import BlocklistProposal, BlocklistSubscription, DomainBlock
from storage.models.hosts import APPLIED, DISMISSED, PROPOSED


@dataclass(frozen=True, slots=True)
class WaitingProposal:
    proposal: BlocklistProposal
    source_url: str
    is_blocked_here: bool


async def subscription_by_id(
    session: AsyncSession, subscription_id: int
) -> BlocklistSubscription | None:
    return await session.get(BlocklistSubscription, subscription_id)


async def subscribe(session: AsyncSession, url: str) -> tuple[BlocklistSubscription, bool]:
    """The subscription to ``url``, and whether it is new."""
    found = await session.scalar(
        select(BlocklistSubscription).where(BlocklistSubscription.url == url)
    )
    if found is not None:
        return found, False
    subscription = BlocklistSubscription(url=url)
    session.add(subscription)
    await session.flush()
    return subscription, True


async def unsubscribe(session: AsyncSession, subscription_id: int) -> str | None:
    """End a subscription (its applied blocks stay); its url, or None if there was none."""
    subscription = await session.get(BlocklistSubscription, subscription_id)
    if subscription is None:
        return None
    url = subscription.url
    await session.execute(
        delete(BlocklistProposal).where(BlocklistProposal.subscription_id == subscription_id)
    )
    await session.delete(subscription)
    return url


async def list_subscriptions(session: AsyncSession) -> Sequence[BlocklistSubscription]:
    return (
        await session.scalars(select(BlocklistSubscription).order_by(BlocklistSubscription.url))
    ).all()


async def waiting_proposals(session: AsyncSession) -> list[WaitingProposal]:
    """The entries waiting for review, by domain."""
    rows = await session.execute(
        select(BlocklistProposal, BlocklistSubscription.url)
        .join(BlocklistSubscription, BlocklistSubscription.id == BlocklistProposal.subscription_id)
        .where(BlocklistProposal.state == PROPOSED)
        .order_by(BlocklistProposal.domain, BlocklistProposal.id)
    )
    blocked = {block.domain for block in await list_blocks(session)}
    return [
        WaitingProposal(proposal, url, proposal.domain in blocked) for proposal, url in rows.all()
    ]


async def count_waiting_proposals(session: AsyncSession) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(BlocklistProposal)
        .where(BlocklistProposal.state == PROPOSED)
    )
    return found or 0


async def record_blocklist(
    session: AsyncSession,
    subscription_id: int,
    parsed: ParsedBlocklist,
    now: datetime,
    own_host: str,
) -> int:
    """Keep what the list says now: new entries proposed, those it no longer names and that still
    wait dropped. Returns how many entries are newly proposed."""
    subscription = await session.get(BlocklistSubscription, subscription_id)
    if subscription is None:
        return 0
    subscription.fetched_at = now
    subscription.error = None
    subscription.entry_count = len(parsed.entries)
    subscription.skipped_lines = parsed.skipped_lines
    blocked = set((await session.scalars(select(DomainBlock.domain))).all())
    dismissed = set(
        (
            await session.scalars(
                select(BlocklistProposal.domain).where(BlocklistProposal.state == DISMISSED)
            )
        ).all()
    )
    known = {
        proposal.domain: proposal
        for proposal in await session.scalars(
            select(BlocklistProposal).where(BlocklistProposal.subscription_id == subscription_id)
        )
    }
    own = own_host.split(":", 1)[0]
    listed: set[str] = set()
    added = 0
    for entry in parsed.entries:
        listed.add(entry.domain)
        if entry.domain in (own_host, own) or entry.domain in blocked:
            continue
        proposal = known.get(entry.domain)
        if proposal is not None:
            if proposal.state == PROPOSED:
                proposal.severity, proposal.reason = entry.severity, entry.reason
            continue
        if entry.domain in dismissed:
            continue
        session.add(_proposal(subscription_id, entry, now))
        added += 1
    for domain, proposal in known.items():
        if proposal.state == PROPOSED and (domain not in listed or domain in blocked):
            await session.delete(proposal)
    return added


def _proposal(subscription_id: int, entry: BlocklistEntry, now: datetime) -> BlocklistProposal:
    return BlocklistProposal(
        subscription_id=subscription_id,
        domain=entry.domain,
        severity=entry.severity,
        reason=entry.reason,
        state=PROPOSED,
        created_at=now,
    )


async def record_failure(
    session: AsyncSession, subscription_id: int, error: str, now: datetime
) -> None:
    """The list could not be read this time: what it proposed before stays."""
    subscription = await session.get(BlocklistSubscription, subscription_id)
    if subscription is not None:
        subscription.fetched_at = now
        subscription.error = error


async def apply_proposal(session: AsyncSession, proposal_id: int) -> BlocklistProposal | None:
    """Block as the list proposes, remembering the list; None if nothing waits by that id."""
    proposal = await session.get(BlocklistProposal, proposal_id)
    if proposal is None or proposal.state != PROPOSED:
        return None
    subscription = await session.get(BlocklistSubscription, proposal.subscription_id)
    source = subscription.url if subscription is not None else None
    if await session.get(DomainBlock, proposal.domain) is None:
        await block_domain(
            session,
            proposal.domain,
            proposal.reason,
            severity=proposal.severity,
            source_url=source,
        )
    proposal.state = APPLIED
    return proposal


async def dismiss_proposal(session: AsyncSession, proposal_id: int) -> BlocklistProposal | None:
    """Leave the entry aside for good; None if nothing waits by that id."""
    proposal = await session.get(BlocklistProposal, proposal_id)
    if proposal is None or proposal.state != PROPOSED:
        return None
    proposal.state = DISMISSED
    return proposal


async def published_entries(session: AsyncSession) -> list[BlocklistEntry]:
    """Our blocks, as the blocklist we publish (the reason is its public comment)."""
    return [
        BlocklistEntry(block.domain, block.severity, block.reason)
        for block in await list_blocks(session)
    ]
