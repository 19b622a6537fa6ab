"""Supports other servers send: a ``Like`` of one of our proposals (a favourite on Mastodon) is a
support, its ``Undo`` takes it back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from commons.proposals.services import add_support, take_back_support
from config.errors import DomainError
from storage.models import Actor, Proposal


async def receive_like(
    session: AsyncSession, proposal: Proposal, sender: Actor, like_uri: str | None
) -> str | None:
    """Count the sender's support; the reason when it does not count."""
    try:
        await add_support(session, proposal, sender, like_uri)
    except DomainError as error:
        return error.code.value
    return None


async def receive_unlike(
    session: AsyncSession, proposal: Proposal, sender: Actor, like_uri: str | None
) -> bool:
    return await take_back_support(session, proposal, sender.uri, like_uri)
