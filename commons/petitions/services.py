"""Drafting a petition, its promoter committee's confirmations, opening it, and sending it.

An assembly (any collective) drafts a petition through one of its facilitators, who names a
promoter committee of at least two members of the collective (themself included). It opens —
``Create(Question)`` to the collective's followers — once every member of the committee has
confirmed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.organisers import NotOrganiser, may_organise, organiser_of
from commons.notifications import notify
from commons.petitions.fields import PetitionFields, apply_fields, check_fields
from commons.petitions.vocabulary import PETITION_CONTEXT
from commons.petitions.wire import build_petition
from commons.shares.services import offer_local_publication
from config.errors import Conflict, ErrorCode, Invalid, NotAllowed
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from outbox.recipients import remote_inboxes_of
from storage.models import Actor, Membership, Petition, PromoterMember, Signature, utcnow
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.petitions import COLLECTING, DRAFT

MIN_PROMOTERS = 2


async def signer_inboxes(session: AsyncSession, petition: Petition) -> list[str]:
    """The inboxes of the remote signers (shared inboxes once each): an ``Update`` of the tally
    reaches them, as Mastodon sends its own polls' updates to every voter."""
    return await remote_inboxes_of(
        session,
        select(Signature.signer_id).where(
            Signature.petition_id == petition.id, Signature.withdrawn_at.is_(None)
        ),
    )


async def send_petition(
    session: AsyncSession, uris: Uris, petition: Petition, kind: str
) -> dict[str, Any]:
    """``Create`` or ``Update`` of the Question to the followers (and, for an update, to every
    remote signer)."""
    with session.no_autoflush:  # the reads first: the petition's row stays free meanwhile
        author = await session.get(Actor, petition.actor_id)
        inboxes = await signer_inboxes(session, petition) if kind == "Update" else []
    assert author is not None
    cc = [author.followers_uri] if author.followers_uri else []
    activity = build_activity(uris, kind, author, build_petition(petition, author), [PUBLIC], cc)
    activity["@context"] = [*activity["@context"], PETITION_CONTEXT]
    await enqueue_activity(session, author, activity, inboxes=inboxes)
    petition.sent_count = petition.signature_count
    return activity


async def facilitated_collective(session: AsyncSession, person: Actor, petition: Petition) -> Actor:
    """The collective of our ``petition``, which ``person`` facilitates; :class:`NotOrganiser`
    otherwise (or when the petition is another quartier's)."""
    return await organiser_of(session, person, petition.actor_id, is_local=petition.is_local)


async def _members(session: AsyncSession, group: Actor, people: Sequence[Actor]) -> set[int]:
    rows = await session.scalars(
        select(Membership.member_id).where(
            Membership.group_id == group.id,
            Membership.member_id.in_([person.id for person in people]),
            Membership.state == MEMBERSHIP_ACCEPTED,
        )
    )
    return set(rows)


async def draft_petition(
    session: AsyncSession,
    uris: Uris,
    person: Actor,
    collective: Actor,
    fields: PetitionFields,
    promoters: Sequence[Actor] = (),
) -> Petition:
    """A draft of ``collective``, its committee ``person`` and ``promoters`` (``person`` has
    confirmed by drafting it); the others are told."""
    if not collective.is_group or not await may_organise(session, person, collective):
        raise NotOrganiser()
    checked = check_fields(fields, collective.domain)
    committee = list({actor.id: actor for actor in (person, *promoters)}.values())
    members = await _members(session, collective, committee)
    if len(committee) < MIN_PROMOTERS or any(actor.id not in members for actor in committee):
        raise Invalid(ErrorCode.TOO_FEW_PROMOTERS, "promoters")
    uri = f"{uris.base}/petitions/{uuid.uuid4()}"
    petition = Petition(
        uri=uri, url=uri, actor_id=collective.id, created_by_id=person.id, is_local=True,
        status=DRAFT, published=utcnow(),
    )  # fmt: skip
    apply_fields(petition, checked)
    session.add(petition)
    await session.flush()
    now = utcnow()
    for actor in committee:
        confirmed = now if actor.id == person.id else None
        session.add(PromoterMember(petition_id=petition.id, actor_id=actor.id,
                                   confirmed_at=confirmed))  # fmt: skip
        if actor.id != person.id:
            await notify(session, actor.id, "petition_committee", person.id,
                         group_id=collective.id)  # fmt: skip
    return petition


async def edit_draft(
    session: AsyncSession, uris: Uris, person: Actor, petition: Petition, fields: PetitionFields
) -> Petition:
    """Change a draft; every other member of the committee must confirm it again."""
    collective = await session.get(Actor, petition.actor_id)
    if collective is None or not await may_organise(session, person, collective):
        raise NotOrganiser()
    if petition.status != DRAFT:
        raise Conflict(ErrorCode.PETITION_NOT_OPEN)
    apply_fields(petition, check_fields(fields, collective.domain))
    for member in await session.scalars(
        select(PromoterMember).where(PromoterMember.petition_id == petition.id)
    ):
        member.confirmed_at = utcnow() if member.actor_id == person.id else None
    return petition


async def committee_of(session: AsyncSession, petition: Petition) -> list[tuple[Actor, bool]]:
    """The promoter committee, each with whether they have confirmed."""
    rows = await session.execute(
        select(Actor, PromoterMember.confirmed_at)
        .join(PromoterMember, PromoterMember.actor_id == Actor.id)
        .where(PromoterMember.petition_id == petition.id)
        .order_by(Actor.username)
    )
    return [(actor, confirmed is not None) for actor, confirmed in rows.all()]


async def confirm(session: AsyncSession, uris: Uris, person: Actor, petition: Petition) -> bool:
    """``person`` confirms as a promoter; True when that opened the petition."""
    member = await session.get(PromoterMember, (petition.id, person.id))
    if member is None:
        raise NotAllowed(ErrorCode.NOT_A_PROMOTER)
    if petition.status != DRAFT:
        raise Conflict(ErrorCode.PETITION_NOT_OPEN)
    member.confirmed_at = member.confirmed_at or utcnow()
    if all(confirmed for _, confirmed in await committee_of(session, petition)):
        await open_petition(session, uris, petition)
        return True
    return False


async def open_petition(session: AsyncSession, uris: Uris, petition: Petition) -> None:
    if petition.deadline <= utcnow():
        raise Invalid(ErrorCode.DEADLINE_PAST, "deadline")
    petition.status = COLLECTING
    petition.opened_at = utcnow()
    await send_petition(session, uris, petition, "Create")
    await offer_local_publication(
        session, uris, await session.get(Actor, petition.actor_id), petition.uri
    )
