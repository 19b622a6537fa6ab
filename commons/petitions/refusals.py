"""Why a vote is not counted, told to the voter's server in French: a ``Reject`` of the vote
by the collective, with the reason as its ``content``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from config.errors import DomainError, ErrorCode
from config.uris import Uris
from federation.vocab import AS_NAMESPACE, id_of
from outbox.enqueue import enqueue_activity
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
    vote_id = id_of(vote.get("id"))
    if author is None or voter.is_local or vote_id is None:
        return None
    reject = {
        "@context": AS_NAMESPACE,
        "id": uris.new_activity(),
        "type": "Reject",
        "actor": author.uri,
        "object": vote_id,
        "inReplyTo": petition.uri,
        "to": [voter.uri],
        "content": refusal_words(error),
    }
    await enqueue_activity(session, author, reject, to_followers=False,
                           inboxes=[voter.delivery_inbox])  # fmt: skip
    return reject
