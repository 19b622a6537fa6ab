"""Checking a petition's signatures again: every proof made on one of our servers is verified
with its signer's published key; a Mastodon vote has no proof, only the record of the HTTP
signature check made when it arrived; a paper signature, its sheet. The counts say how many of
each, and which proofs fail."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.petitions import proofs
from storage.models import Actor, Petition, Signature
from storage.models.petitions import FEDERATED, HERE, MASTODON, PAPER


@dataclass(slots=True)
class Audit:
    counted: int = 0
    withdrawn: int = 0
    by_way: Counter[str] = field(default_factory=Counter)
    by_quartier: Counter[str] = field(default_factory=Counter)
    proofs_valid: int = 0
    proofs_failed: list[str] = field(default_factory=list)
    """The signers whose proof does not verify (or is missing where one is due)."""
    http_checked: int = 0
    stored_tally: int = 0

    @property
    def is_sound(self) -> bool:
        return not self.proofs_failed and self.counted == self.stored_tally


async def audit(session: AsyncSession, petition: Petition) -> Audit:
    result = Audit(stored_tally=petition.signature_count)
    rows = await session.execute(
        select(Signature, Actor)
        .outerjoin(Actor, Actor.id == Signature.signer_id)
        .where(Signature.petition_id == petition.id)
        .order_by(Signature.id)
    )
    for signature, signer in rows.all():
        if signature.withdrawn_at is not None:
            result.withdrawn += 1
            continue
        result.counted += 1
        result.by_way[signature.way] += 1
        result.by_quartier[signature.quartier or "papier"] += 1
        if signature.way in (HERE, FEDERATED):
            if signer is not None and signature.proof and proofs.check(signature.proof, signer):
                result.proofs_valid += 1
            else:
                result.proofs_failed.append(signature.signer_uri)
        elif signature.way == MASTODON and signature.verification:
            result.http_checked += 1
        elif signature.way == PAPER:
            continue
    return result


async def our_petition(session: AsyncSession, uri: str) -> Petition | None:
    return await session.scalar(
        select(Petition).where(Petition.uri == uri, Petition.is_local.is_(True))
    )
