"""Why a vote is not counted, told to the voter's server in French: a ``Reject`` of the vote
by the collective, with the reason as its ``content``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from config.errors import DomainError, ErrorCode
from config.uris import Uris
from federation.vocab import AS_NAMESPACE, id_of
from outbox.enqueue import enqueue_activity, enqueue_direct_activities
from storage.models import Actor, Petition

FRENCH_REFUSALS = {
    ErrorCode.PETITION_NOT_OPEN: "Cette pétition ne recueille pas de signatures : elle est close.",
    ErrorCode.ALREADY_SIGNED: "Votre signature est déjà comptée.",
    ErrorCode.NOT_THE_OPTION: "Une signature dit « Je signe », et rien d’autre.",
}
WHO = {
    "residents": "aux habitant·e·s des quartiers {quartiers}",
    "members": "aux membres du collectif",
}


def refusal_words(error: DomainError) -> str:
    if error.code == ErrorCode.MAY_NOT_SIGN:
        who = WHO.get(str(error.details.get("who")), "à certaines personnes")
        quartiers = ", ".join(str(error.details.get("quartiers", "")).split())
        return f"Cette pétition est réservée {who.format(quartiers=quartiers)}."
    return FRENCH_REFUSALS.get(error.code, "Cette signature ne peut pas être comptée.")


async def refuse_vote(
    session: AsyncSession,
    uris: Uris,
    petition: Petition,
    voter: Actor,
    vote: dict[str, Any],
    error: DomainError,
) -> dict[str, Any] | None:
    """Answer a refused vote with a ``Reject`` (nothing is counted)."""
    author = await session.get(Actor, petition.actor_id)
    if author is None:
        return None
    reject = _reject(uris, author, petition, voter, vote, error)
    if reject is not None:
        await enqueue_activity(session, author, reject, to_followers=False,
                               inboxes=[voter.delivery_inbox])  # fmt: skip
    return reject


async def refuse_votes(
    session: AsyncSession,
    uris: Uris,
    author: Actor,
    refused: Sequence[tuple[Petition, Actor, dict[str, Any], DomainError]],
) -> None:
    """Answer many refused votes on ``author``'s petitions at once, each with its ``Reject``."""
    addressed = [
        (reject, voter.delivery_inbox)
        for petition, voter, vote, error in refused
        if (reject := _reject(uris, author, petition, voter, vote, error)) is not None
    ]
    await enqueue_direct_activities(session, author, addressed)


def _reject(
    uris: Uris,
    author: Actor,
    petition: Petition,
    voter: Actor,
    vote: dict[str, Any],
    error: DomainError,
) -> dict[str, Any] | None:
    vote_id = id_of(vote.get("id"))
    if voter.is_local or vote_id is None:
        return None
    return {
        "@context": AS_NAMESPACE,
        "id": uris.new_activity(),
        "type": "Reject",
        "actor": author.uri,
        "object": vote_id,
        "inReplyTo": petition.uri,
        "to": [voter.uri],
        "content": refusal_words(error),
    }
