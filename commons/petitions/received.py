"""Petitions other quartiers' servers send: kept so our residents read and sign them here (their
signature goes to the petition's own server), refreshed by each ``Update`` — the tally comes
with it — and removed by ``Delete``, each only from the collective that publishes it.

A ``Question`` is a petition when it carries our terms (``signatureGoal`` or
``petitionStatus``) and has one option; any other poll stays a post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.markdown import received_text, sanitize_html
from commons.petitions.answers import tell_signers_of_answer
from commons.petitions.fields import MAX_ANSWER, MAX_GOAL, MAX_TEXT, MAX_TITLE
from federation.parsing import parse_datetime
from federation.vocab import as_list, first_str, id_of, same_origin
from storage.models import Actor, Petition, utcnow
from storage.models.petitions import COLLECTING, PETITION_STATES, WHO_MAY_SIGN


def is_petition(data: dict[str, Any]) -> bool:
    return "Question" in as_list(data.get("type")) and (
        "signatureGoal" in data or "petitionStatus" in data
    )


@dataclass(frozen=True, slots=True)
class RemotePetition:
    uri: str
    attributed_to: str | None
    title: str
    text_source: str | None
    text_html: str
    option_name: str
    deadline: datetime
    goal: int
    count: int
    status: str
    scope_domains: str
    may_sign: str
    addressee: str
    names_public: bool
    is_initiative: bool
    url: str | None
    published: datetime | None
    updated: datetime | None
    closed_at: datetime | None
    submitted_at: datetime | None
    answer_html: str | None
    answered_at: datetime | None


def _whole(value: object, highest: int) -> int:
    return value if isinstance(value, int) and 0 <= value <= highest else 0


def read_remote_petition(data: dict[str, Any]) -> RemotePetition | str:
    """The petition a document describes, or why it cannot be kept."""
    uri = id_of(data.get("id"))
    options = [option for option in as_list(data.get("oneOf")) if isinstance(option, dict)]
    deadline = parse_datetime(data.get("endTime"))
    if uri is None:
        return "a petition without id"
    if len(options) != 1 or not isinstance(options[0].get("name"), str):
        return "a petition has one option"
    if deadline is None:
        return "a petition without endTime"
    text_source, text_html = received_text(data, MAX_TEXT)
    status = first_str(data.get("petitionStatus")) or COLLECTING
    may_sign = first_str(data.get("whoMaySign")) or "anyone"
    scope = [str(domain)[:255] for domain in as_list(data.get("signatureScope"))][:50]
    replies = options[0].get("replies")
    count = data.get("votersCount")
    if not isinstance(count, int) and isinstance(replies, dict):
        count = replies.get("totalItems")
    closed = data.get("closed")
    answer = first_str(data.get("petitionAnswer"))
    return RemotePetition(
        uri=uri,
        attributed_to=id_of(data.get("attributedTo")),
        title=(first_str(data.get("name")) or "")[:MAX_TITLE] or "Pétition",
        text_source=text_source,
        text_html=text_html,
        option_name=str(options[0]["name"])[:100],
        deadline=deadline,
        goal=_whole(data.get("signatureGoal"), MAX_GOAL),
        count=_whole(count, 100_000_000),
        status=status if status in PETITION_STATES else COLLECTING,
        scope_domains=" ".join(scope),
        may_sign=may_sign if may_sign in WHO_MAY_SIGN else "anyone",
        addressee=(first_str(data.get("addressee")) or "")[:MAX_TITLE],
        names_public=data.get("namesPublic") is True,
        is_initiative=data.get("initiative") is True,
        url=id_of(data.get("url")),
        published=parse_datetime(data.get("published")),
        updated=parse_datetime(data.get("updated")),
        closed_at=parse_datetime(closed) if isinstance(closed, str) else None,
        submitted_at=parse_datetime(data.get("petitionSubmitted")),
        answer_html=sanitize_html(answer[: MAX_ANSWER * 2]) if answer else None,
        answered_at=parse_datetime(data.get("petitionAnswered")),
    )


async def keep_remote_petition(
    session: AsyncSession, author: Actor, data: dict[str, Any]
) -> Petition | str:
    """Insert or refresh it; a refusal reason when it is not the sender's or cannot be read."""
    read = read_remote_petition(data)
    if isinstance(read, str):
        return read
    if read.attributed_to != author.uri or not same_origin(read.uri, author.uri):
        return "it is not theirs"
    petition = await session.scalar(select(Petition).where(Petition.uri == read.uri))
    if petition is not None and (petition.is_local or petition.actor_id != author.id):
        return "it is not theirs"
    if petition is None:
        petition = Petition(uri=read.uri, actor_id=author.id, is_local=False,
                            published=read.published or utcnow())  # fmt: skip
        session.add(petition)
    elif petition.deleted_at is not None:
        return "it was deleted"
    elif (
        petition.updated is not None
        and read.updated is not None
        and read.updated < petition.updated
    ):
        return "an older version"
    answered_now = petition.answer_html is None and read.answer_html is not None
    for name in ("title", "text_source", "text_html", "option_name", "deadline", "goal",
                 "status", "scope_domains", "may_sign", "addressee", "names_public",
                 "is_initiative", "updated", "closed_at", "submitted_at", "answer_html",
                 "answered_at"):  # fmt: skip
        setattr(petition, name, getattr(read, name))
    petition.url = read.url or read.uri
    petition.signature_count = read.count
    petition.sent_count = read.count
    petition.opened_at = read.published
    petition.document = dict(data)
    await session.flush()
    if answered_now and petition.id is not None:
        await tell_signers_of_answer(session, petition)
    return petition


async def drop_remote_petition(session: AsyncSession, petition: Petition, sender: Actor) -> bool:
    if petition.is_local or petition.actor_id != sender.id:
        return False
    petition.deleted_at = utcnow()
    return True
