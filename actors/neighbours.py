"""Neighbour instances: the other quartiers of the city, whose public posts fill the city timeline.

A remote actor whose document carries our own extension terms (``groupKind``,
``upcomingEvents``) is served by Quartiers Collaboratifs, so its host is a neighbour.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federation.vocab import origin_of
from storage.models import Actor, Host
from storage.upsert import insert_ignoring_duplicates

OUR_TERMS = ("groupKind", "upcomingEvents")


def is_quartiers_document(document: dict[str, Any] | None) -> bool:
    return isinstance(document, dict) and any(term in document for term in OUR_TERMS)


def host_of_domain(domain: str) -> str:
    return domain.split(":", 1)[0].lower()


async def mark_neighbour(session: AsyncSession, domain: str, actor_uri: str | None = None) -> None:
    """Mark ``domain``'s host as a neighbour, learning where it answers from one of its actors."""
    host = host_of_domain(domain)
    origin = origin_of(actor_uri) if actor_uri else None
    row = await session.get(Host, host)
    if row is None:
        # Many first items of a quartier may be applied at once: one of them writes the row.
        fresh = {"host": host, "is_neighbour": True, "origin": origin}
        if await insert_ignoring_duplicates(session, Host, [fresh], ["host"]):
            return
        row = await session.get(Host, host)
        assert row is not None
    row.is_neighbour = True
    row.origin = origin or row.origin
    await session.flush()


async def note_if_neighbour(session: AsyncSession, actor: Actor) -> bool:
    """Mark the host of a remote actor as a neighbour when its document is one of ours."""
    if actor.is_local or not is_quartiers_document(actor.document):
        return False
    await mark_neighbour(session, actor.domain, actor.uri)
    return True
