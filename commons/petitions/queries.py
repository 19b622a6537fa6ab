"""The reads the petitions' pages need: one petition, the listings (ours, then those other
quartiers sent), the drafts awaiting a promoter, a resident's signature, and the signatures as
the submission and the audit list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.petitions.paper import anonymous_id
from storage.blocks import limited_actor_ids
from storage.models import Actor, Membership, Petition, PromoterMember, Signature
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.petitions import COLLECTING, DRAFT, PAPER

LISTED = 100


@dataclass(frozen=True, slots=True)
class PetitionCard:
    """A petition with the collective it belongs to, as a listing shows them."""

    petition: Petition
    collective: Actor


@dataclass(frozen=True, slots=True)
class SignatureRow:
    """One counted signature as the submission lists it: a name only where the petition shows
    names, otherwise an anonymous id (the same person always gets the same one)."""

    number: int
    signed_at: datetime
    way: str
    quartier: str
    sheet: str
    name: str | None
    anonymous_id: str


async def petition_by_id(session: AsyncSession, petition_id: int) -> Petition | None:
    return await session.get(Petition, petition_id)


async def petition_by_uri(session: AsyncSession, uri: str) -> Petition | None:
    return await session.scalar(select(Petition).where(Petition.uri == uri))


def _listing_order(card: PetitionCard) -> tuple[bool, float]:
    """Those collecting first, the nearest deadline first; then the others, newest first."""
    petition = card.petition
    if petition.status == COLLECTING:
        return False, petition.deadline.timestamp()
    return True, -petition.published.timestamp()


async def listed_petitions(
    session: AsyncSession,
    *,
    is_local: bool,
    left_out: tuple[str, ...] = (),
    quartier: str | None = None,
    limit: int = LISTED,
) -> list[PetitionCard]:
    """Ours (``is_local``) or those other quartiers sent, but for the ``left_out`` domains
    and the limited ones (or only those of the ``quartier`` domain): every one but the
    drafts."""
    statement = (
        select(Petition, Actor)
        .join(Actor, Actor.id == Petition.actor_id)
        .where(
            Petition.is_local.is_(is_local),
            Petition.deleted_at.is_(None),
            Petition.status != DRAFT,
            Actor.is_gone.is_(False),
            Petition.actor_id.not_in(limited_actor_ids()),
        )
        .order_by(Petition.id.desc())
        .limit(limit)
    )
    if left_out:
        statement = statement.where(Actor.domain.not_in(left_out))
    if quartier is not None:
        statement = statement.where(Actor.domain == quartier)
    rows = await session.execute(statement)
    cards = [PetitionCard(petition, collective) for petition, collective in rows.all()]
    return sorted(cards, key=_listing_order)


async def drafts_of_committee(
    session: AsyncSession, person: Actor
) -> list[tuple[PetitionCard, bool]]:
    """The drafts whose promoter committee ``person`` sits on, each with whether they have
    confirmed it (those still waiting for them first)."""
    rows = await session.execute(
        select(Petition, Actor, PromoterMember.confirmed_at)
        .join(PromoterMember, PromoterMember.petition_id == Petition.id)
        .join(Actor, Actor.id == Petition.actor_id)
        .where(
            PromoterMember.actor_id == person.id,
            Petition.status == DRAFT,
            Petition.deleted_at.is_(None),
        )
        .order_by(Petition.id.desc())
    )
    found = [
        (PetitionCard(petition, collective), confirmed is not None)
        for petition, collective, confirmed in rows.all()
    ]
    return sorted(found, key=lambda item: item[1])


async def signature_of(
    session: AsyncSession, petition: Petition, person: Actor
) -> Signature | None:
    """``person``'s signature while it counts (None when they never signed or withdrew)."""
    return await session.scalar(
        select(Signature).where(
            Signature.petition_id == petition.id,
            Signature.signer_uri == person.uri,
            Signature.withdrawn_at.is_(None),
        )
    )


async def promoter_choices(session: AsyncSession, collective: Actor) -> list[Actor]:
    """The members who may sit on a promoter committee: the collective's accepted members who
    live here (they confirm on this server)."""
    rows = await session.scalars(
        select(Actor)
        .join(Membership, Membership.member_id == Actor.id)
        .where(
            Membership.group_id == collective.id,
            Membership.state == MEMBERSHIP_ACCEPTED,
            Actor.is_local.is_(True),
            Actor.is_gone.is_(False),
            Actor.type == "Person",
        )
        .order_by(Actor.name, Actor.username)
    )
    return list(rows)


async def signing_moments(session: AsyncSession, petition: Petition) -> list[datetime]:
    """When each signature that counts was given, oldest first (for the chart)."""
    rows = await session.scalars(
        select(Signature.signed_at)
        .where(Signature.petition_id == petition.id, Signature.withdrawn_at.is_(None))
        .order_by(Signature.signed_at)
    )
    return list(rows)


async def counted_signatures(
    session: AsyncSession, petition: Petition
) -> list[tuple[Signature, Actor | None]]:
    """Every signature that counts, oldest first, with its signer when one is known."""
    rows = await session.execute(
        select(Signature, Actor)
        .outerjoin(Actor, Actor.id == Signature.signer_id)
        .where(Signature.petition_id == petition.id, Signature.withdrawn_at.is_(None))
        .order_by(Signature.signed_at, Signature.id)
    )
    return [(signature, signer) for signature, signer in rows.all()]


def _shown_name(petition: Petition, signature: Signature, signer: Actor | None) -> str | None:
    if not petition.names_public:
        return None
    if signature.way == PAPER:
        return signature.name
    return (signer.name or signer.username) if signer is not None else None


async def submission_rows(
    session: AsyncSession, petition: Petition, secret: str
) -> list[SignatureRow]:
    """The signatures that count, numbered, as they are handed to the addressee."""
    return [
        SignatureRow(
            number=number,
            signed_at=signature.signed_at,
            way=signature.way,
            quartier=signature.quartier,
            sheet=signature.sheet or "",
            name=_shown_name(petition, signature, signer),
            anonymous_id=anonymous_id(signature, secret),
        )
        for number, (signature, signer) in enumerate(
            await counted_signatures(session, petition), start=1
        )
    ]


async def signature_records(
    session: AsyncSession, petition: Petition, secret: str
) -> list[dict[str, Any]]:
    """Every signature that counts with what proves it: the vote as it was signed (its
    integrity proof inside) for a signature given here or on another quartier's server, the
    record of the HTTP signature check for a Mastodon vote, the sheet for a paper one."""
    records = []
    for signature, signer in await counted_signatures(session, petition):
        record: dict[str, Any] = {
            "id": anonymous_id(signature, secret),
            "way": signature.way,
            "quartier": signature.quartier,
            "signedAt": signature.signed_at.isoformat(),
        }
        if signature.way == PAPER:
            record["sheet"] = signature.sheet or ""
        else:
            record["signer"] = signature.signer_uri
            record["vote"] = signature.vote_uri
            record["proof"] = signature.proof
            record["verification"] = signature.verification
            if signer is not None and signer.assertion_key:
                record["signerKey"] = signer.assertion_key
        name = _shown_name(petition, signature, signer)
        if name is not None:
            record["name"] = name
        records.append(record)
    return records


async def paper_count(session: AsyncSession, petition: Petition) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(
            Signature.petition_id == petition.id,
            Signature.way == PAPER,
            Signature.withdrawn_at.is_(None),
        )
    )
    return count or 0


async def recent_paper_signatures(
    session: AsyncSession, petition: Petition, limit: int = 20
) -> list[Signature]:
    """The last lines of sheets typed in, newest first."""
    rows = await session.scalars(
        select(Signature)
        .where(Signature.petition_id == petition.id, Signature.way == PAPER)
        .order_by(Signature.id.desc())
        .limit(limit)
    )
    return list(rows)
