"""Signing, withdrawing, and the votes other servers send: one signature per signer, whichever
way it comes.

A resident of this server signs with one click: the vote is written as Mastodon writes a poll
vote, with the resident's integrity proof, and kept. A resident of another quartier signs from
their own server, which sends that same vote to the collective's inbox; a Mastodon user's vote
is the same activity without a proof. Each is counted once per actor id; a second vote of the
same actor changes nothing. Withdrawing (``Undo``) is possible while the petition collects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from commons.petitions import proofs
from commons.petitions.wire import build_vote_note
from config.errors import Conflict, ErrorCode, Invalid, NotAllowed, NotFound
from config.uris import Uris
from federation.vocab import AS_NAMESPACE, first_str
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Membership, Petition, Signature, utcnow
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.petitions import (
    ANYONE,
    COLLECTING,
    FEDERATED,
    HERE,
    MASTODON,
    MEMBERS,
    RESIDENTS,
)


@dataclass(frozen=True, slots=True)
class VoteCheck:
    """What the inbox established about a vote before it is counted."""

    key_id: str
    verified_at: datetime
    algorithm: str = ""


def is_collecting(petition: Petition, now: datetime) -> bool:
    return petition.status == COLLECTING and petition.deleted_at is None and now < petition.deadline


async def check_may_sign(session: AsyncSession, petition: Petition, signer: Actor) -> None:
    """:class:`NotAllowed` (``may_not_sign``, with whom it is for) when ``signer`` may not sign."""
    if petition.may_sign == ANYONE:
        return
    if petition.may_sign == RESIDENTS:
        if not signer.type == "Person" or signer.domain not in petition.scope_domains.split():
            raise NotAllowed(ErrorCode.MAY_NOT_SIGN, who=petition.may_sign,
                             quartiers=petition.scope_domains)  # fmt: skip
        return
    if petition.may_sign == MEMBERS:
        member = await session.scalar(
            select(Membership.id).where(
                Membership.group_id == petition.actor_id,
                Membership.member_id == signer.id,
                Membership.state == MEMBERSHIP_ACCEPTED,
            )
        )
        if member is None:
            raise NotAllowed(ErrorCode.MAY_NOT_SIGN, who=petition.may_sign)


async def lock_tally(session: AsyncSession, *petition_ids: int) -> None:
    """Hold the petitions' rows until the transaction ends (PostgreSQL; SQLite has one writer
    anyway), before any signature is written: every writer takes the tally first, so two
    transactions that each wait for the other's signature of the same person cannot happen."""
    await session.execute(
        select(Petition.id)
        .where(Petition.id.in_(sorted(petition_ids)))
        .order_by(Petition.id)
        .with_for_update()
    )


async def _count(session: AsyncSession, petition: Petition, change: int) -> None:
    await session.execute(
        update(Petition)
        .where(Petition.id == petition.id)
        .values(signature_count=Petition.signature_count + change)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(petition, ["signature_count"])


async def record(
    session: AsyncSession,
    petition: Petition,
    signer: Actor,
    way: str,
    *,
    vote_uri: str | None = None,
    proof: dict[str, Any] | None = None,
    verification: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Signature:
    """Count ``signer`` once (again, after a withdrawal); :class:`Conflict` if they already
    signed. Two votes of the same actor at the same moment cannot both be written: the
    petition and signer are unique together."""
    now = now or utcnow()
    await lock_tally(session, petition.id)
    existing = await session.scalar(
        select(Signature).where(
            Signature.petition_id == petition.id, Signature.signer_uri == signer.uri
        )
    )
    if existing is not None:
        if existing.withdrawn_at is None:
            raise Conflict(ErrorCode.ALREADY_SIGNED)
        existing.withdrawn_at = None
        existing.signed_at = now
        existing.vote_uri, existing.proof, existing.verification = vote_uri, proof, verification
        await _count(session, petition, 1)
        return existing
    signature = Signature(
        petition_id=petition.id, signer_id=signer.id, signer_uri=signer.uri, way=way,
        quartier=signer.domain, vote_uri=vote_uri, proof=proof, verification=verification,
        signed_at=now,
    )  # fmt: skip
    try:
        async with session.begin_nested():
            session.add(signature)
            await session.flush()
    except IntegrityError:
        raise Conflict(ErrorCode.ALREADY_SIGNED) from None
    await _count(session, petition, 1)
    return signature


def vote_activity(uris: Uris, voter: Actor, petition: Petition, author: Actor) -> dict[str, Any]:
    """``Create{Note{name}}`` of ``voter``: a poll vote as Mastodon sends one, with an id of
    ours that can be fetched."""
    activity_id = uris.new_activity()
    note = build_vote_note(f"{activity_id}#vote", voter, petition.uri, author.uri,
                           petition.option_name)  # fmt: skip
    return {
        "@context": [AS_NAMESPACE, "https://w3id.org/security/data-integrity/v2"],
        "id": activity_id,
        "type": "Create",
        "actor": voter.uri,
        "to": [author.uri],
        "object": note,
        "published": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


async def sign(session: AsyncSession, uris: Uris, person: Actor, petition: Petition) -> Signature:
    """``person`` (one of our residents) signs: here, or through the petition's own server."""
    now = utcnow()
    if not is_collecting(petition, now):
        raise Conflict(ErrorCode.PETITION_NOT_OPEN)
    author = await session.get(Actor, petition.actor_id)
    if author is None or author.is_gone:
        raise NotFound(ErrorCode.NOT_A_PETITION)
    await check_may_sign(session, petition, person)
    vote = proofs.signed(person, vote_activity(uris, person, petition, author))
    signature = await record(session, petition, person, HERE, vote_uri=vote["id"], proof=vote,
                             now=now)  # fmt: skip
    if not petition.is_local:
        # Sent to the collective's own inbox, as Mastodon sends votes.
        await enqueue_activity(session, person, vote, to_followers=False,
                               inboxes=[author.inbox_uri])  # fmt: skip
    return signature


async def withdraw(session: AsyncSession, uris: Uris, person: Actor, petition: Petition) -> None:
    """``person`` takes their signature back while the petition collects (``Undo`` of the vote
    when the petition lives on another server)."""
    if not is_collecting(petition, utcnow()):
        raise Conflict(ErrorCode.PETITION_NOT_OPEN)
    signature = await session.scalar(
        select(Signature).where(
            Signature.petition_id == petition.id,
            Signature.signer_uri == person.uri,
            Signature.withdrawn_at.is_(None),
        )
    )
    if signature is None:
        raise NotFound(ErrorCode.NOT_SIGNED)
    await lock_tally(session, petition.id)
    signature.withdrawn_at = utcnow()
    await _count(session, petition, -1)
    author = await session.get(Actor, petition.actor_id)
    if not petition.is_local and author is not None and isinstance(signature.proof, dict):
        vote = {key: value for key, value in signature.proof.items() if key != "proof"}
        undo = {
            "@context": AS_NAMESPACE,
            "id": uris.new_activity(),
            "type": "Undo",
            "actor": person.uri,
            "to": [author.uri],
            "object": {key: value for key, value in vote.items() if key != "@context"},
        }
        await enqueue_activity(session, person, undo, to_followers=False,
                               inboxes=[author.inbox_uri])  # fmt: skip


def vote_option(note: dict[str, Any]) -> str | None:
    return first_str(note.get("name"))


async def receive_vote(
    session: AsyncSession,
    petition: Petition,
    voter: Actor,
    create: dict[str, Any],
    check: VoteCheck,
    now: datetime | None = None,
) -> Signature:
    """A vote another server sent (its HTTP signature is checked): counted once, or refused
    with a :class:`DomainError` that says why (the inbox answers with a ``Reject``)."""
    now = now or utcnow()
    note = create.get("object")
    if not isinstance(note, dict) or vote_option(note) != petition.option_name:
        raise Invalid(ErrorCode.NOT_THE_OPTION)
    if not petition.is_local or not is_collecting(petition, now):
        raise Conflict(ErrorCode.PETITION_NOT_OPEN)
    await check_may_sign(session, petition, voter)
    verification = {
        "key_id": check.key_id,
        "algorithm": check.algorithm,
        "verified_at": check.verified_at.isoformat(),
        "actor": voter.uri,
    }
    proven = "proof" in create and proofs.check(create, voter).is_valid
    return await record(
        session, petition, voter, FEDERATED if proven else MASTODON,
        vote_uri=first_str(create.get("id")) or first_str(note.get("id")),
        proof=create if proven else None, verification=verification, now=now,
    )  # fmt: skip


async def receive_withdrawal(
    session: AsyncSession, petition: Petition, voter: Actor, now: datetime | None = None
) -> bool:
    """``Undo`` of a vote: the signature is taken back while the petition collects."""
    if not is_collecting(petition, now or utcnow()):
        return False
    signature = await session.scalar(
        select(Signature).where(
            Signature.petition_id == petition.id,
            Signature.signer_uri == voter.uri,
            Signature.withdrawn_at.is_(None),
        )
    )
    if signature is None:
        return False
    await lock_tally(session, petition.id)
    signature.withdrawn_at = now or utcnow()
    await _count(session, petition, -1)
    return True
