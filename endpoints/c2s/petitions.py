"""Petitions from a client, through the services the petition pages use (same checks, same
deliveries, same reasons when refused):

- a facilitator drafts one for a collective, posting to the collective's outbox a ``Create`` of
  a ``Question`` with our terms (``signatureGoal``, ``endTime``, ``whoMaySign``,
  ``signatureScope``, ``addressee``…) and ``promoters``, the other members of its committee;
- a promoter confirms a draft with ``Accept`` of the petition (the last one opens it);
- a facilitator changes a draft, says it is handed over (``petitionStatus`` ``submitted``) or
  publishes its answer (``petitionAnswer``, Markdown) with an ``Update`` of the Question;
- a resident signs any petition this server knows as Mastodon votes,
  ``Create{Note{name: "Je signe", inReplyTo}}``, and withdraws with ``Undo`` of that vote.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.petitions import services
from commons.petitions.answers import mark_submitted, publish_answer
from commons.petitions.fields import PetitionFields
from commons.petitions.queries import petition_by_uri
from commons.petitions.signatures import sign, withdraw
from commons.petitions.vocabulary import SIGN_OPTION
from config.errors import DomainError
from endpoints.c2s.errors import ClientError
from federation.parsing import parse_datetime
from federation.vocab import as_list, first_str, id_of, types_of
from instance.runtime import Instance
from storage.among import among
from storage.models import Actor, Petition, Signature
from storage.models.petitions import ANSWERED, DRAFT, SUBMITTED


def is_question(obj: dict[str, Any]) -> bool:
    return "Question" in types_of(obj.get("type"))


def _text(obj: dict[str, Any]) -> str:
    source = obj.get("source")
    if isinstance(source, dict) and isinstance(source.get("content"), str):
        return str(source["content"])
    return first_str(obj.get("content")) or ""


def _whole(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def petition_fields(obj: dict[str, Any]) -> PetitionFields:
    """What a client's Question asks for; :func:`commons.petitions.fields.check_fields` judges."""
    deadline: datetime | None = parse_datetime(obj.get("endTime"))
    return PetitionFields(
        title=first_str(obj.get("name")) or "",
        text=_text(obj),
        deadline=deadline,
        goal=_whole(obj.get("signatureGoal")),
        addressee=first_str(obj.get("addressee")) or "",
        scope_domains=tuple(str(domain) for domain in as_list(obj.get("signatureScope"))),
        may_sign=first_str(obj.get("whoMaySign")) or "anyone",
        names_public=obj.get("namesPublic") is True,
        is_initiative=obj.get("initiative") is True,
    )


async def _promoters(session: AsyncSession, obj: dict[str, Any]) -> list[Actor]:
    uris = [uri for uri in (id_of(item) for item in as_list(obj.get("promoters"))) if uri]
    found = list(await session.scalars(select(Actor).where(among(Actor.uri, uris))))
    if len(found) != len(set(uris)):
        raise ClientError(400, "every promoter must be a member of the collective known here")
    return found


async def draft_from(instance: Instance, person: Actor, acting: Actor, obj: dict[str, Any]) -> str:
    """A draft of ``acting`` (a collective); its address is the answer's ``Location``."""
    if acting.id == person.id:
        raise ClientError(400, "a petition is drafted in its collective's outbox")
    async with instance.database.transaction() as session:
        promoters = await _promoters(session, obj)
        try:
            petition = await services.draft_petition(
                session, instance.uris, person, acting, petition_fields(obj), promoters
            )
        except DomainError as error:
            raise ClientError.refusing(error) from None
        return petition.uri


async def _known_petition(session: AsyncSession, uri: str | None) -> Petition:
    petition = await petition_by_uri(session, uri) if uri else None
    if petition is None or petition.deleted_at is not None:
        raise ClientError(404, f"no petition known here at {uri}")
    return petition


async def update_petition(
    instance: Instance, person: Actor, acting: Actor, session: AsyncSession, petition: Petition,
    obj: dict[str, Any],
) -> str:  # fmt: skip
    """A draft's fields, or the step after the collection: handed over, then answered."""
    if petition.actor_id != acting.id or not petition.is_local:
        raise ClientError(403, "a petition is changed from its collective's outbox")
    status = first_str(obj.get("petitionStatus"))
    answer = first_str(obj.get("petitionAnswer"))
    try:
        if petition.status == DRAFT:
            await services.edit_draft(session, instance.uris, person, petition,
                                      petition_fields(obj))  # fmt: skip
        elif answer is not None:
            await publish_answer(session, instance.uris, person, petition, answer)
        elif status == SUBMITTED:
            await mark_submitted(session, instance.uris, person, petition)
        elif status != ANSWERED:
            raise ClientError(400, "only a draft changes; afterwards, petitionStatus "
                                   "submitted, then a petitionAnswer")  # fmt: skip
    except DomainError as error:
        raise ClientError.refusing(error) from None
    return petition.uri


async def confirm_petition(instance: Instance, person: Actor, uri: str | None) -> str:
    """``Accept`` of a draft by a member of its promoter committee."""
    async with instance.database.transaction() as session:
        petition = await _known_petition(session, uri)
        try:
            await services.confirm(session, instance.uris, person, petition)
        except DomainError as error:
            raise ClientError.refusing(error) from None
        return petition.uri


async def is_petition_uri(instance: Instance, uri: str | None) -> bool:
    async with instance.database.session() as session:
        return uri is not None and await petition_by_uri(session, uri) is not None


async def vote(instance: Instance, acting: Actor, note: dict[str, Any]) -> str:
    """A signature: the id of the vote (the ``Create{Note}``) is the answer's ``Location``."""
    if first_str(note.get("name")) != SIGN_OPTION:
        raise ClientError(400, f"a signature is the option “{SIGN_OPTION}” and nothing else")
    if acting.is_group:
        raise ClientError(403, "a collective does not sign petitions; its members do")
    async with instance.database.transaction() as session:
        petition = await _known_petition(session, id_of(note.get("inReplyTo")))
        signer = await session.get(Actor, acting.id)
        assert signer is not None
        try:
            signature = await sign(session, instance.uris, signer, petition)
        except DomainError as error:
            raise ClientError.refusing(error) from None
        assert signature.vote_uri is not None
        return signature.vote_uri


async def undo_vote(instance: Instance, acting: Actor, uri: str) -> str | None:
    """``Undo`` of one's vote: the signature is withdrawn; None when ``uri`` is no vote of theirs."""
    async with instance.database.transaction() as session:
        signature = await session.scalar(
            select(Signature).where(Signature.vote_uri == uri, Signature.signer_id == acting.id)
        )
        if signature is None:
            return None
        petition = await session.get(Petition, signature.petition_id)
        assert petition is not None
        try:
            await withdraw(session, instance.uris, acting, petition)
        except DomainError as error:
            raise ClientError.refusing(error) from None
        return uri
