"""Proposing to a collective, supporting a proposal, and the collective's answer.

A member of a collective proposes (published at once as a ``Note`` of the collective to its
followers). Residents here support it with one click, and anyone elsewhere by favouriting it (a
``Like``); each person counts once, and may take their support back while it is not answered.
A facilitator answers — under study, accepted or refused, with a text — and the answer goes to
the followers as an ``Update``; the member who proposed it is told.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.organisers import NotOrganiser, may_organise
from commons.markdown import render_markdown
from commons.notifications import notify
from commons.proposals.wire import PROPOSAL_CONTEXT, build_proposal
from config.errors import Conflict, ErrorCode, Invalid, NotAllowed
from config.uris import Uris
from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Membership, Proposal, ProposalSupport, utcnow
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.proposals import ACCEPTED, ANSWERS, EVALUATING, OPEN, REJECTED

MAX_TITLE = 300
MAX_TEXT = 20_000
SUPPORTABLE = (OPEN, EVALUATING)


async def send_proposal(
    session: AsyncSession, uris: Uris, proposal: Proposal, kind: str
) -> dict[str, Any]:
    collective = await session.get(Actor, proposal.actor_id)
    author = await session.get(Actor, proposal.author_id) if proposal.author_id else None
    assert collective is not None
    cc = [collective.followers_uri] if collective.followers_uri else []
    note = build_proposal(proposal, collective, author)
    activity = build_activity(uris, kind, collective, note, [PUBLIC], cc)
    activity["@context"] = [*activity["@context"], PROPOSAL_CONTEXT]
    await enqueue_activity(session, collective, activity)
    return activity


async def is_member(session: AsyncSession, collective: Actor, person: Actor) -> bool:
    return (
        await session.scalar(
            select(Membership.id).where(
                Membership.group_id == collective.id,
                Membership.member_id == person.id,
                Membership.state == MEMBERSHIP_ACCEPTED,
            )
        )
        is not None
    )


async def propose(
    session: AsyncSession, uris: Uris, person: Actor, collective: Actor, title: str, text: str
) -> Proposal:
    """``person``, a member of ``collective``, proposes: published at once."""
    if not collective.is_group or not collective.is_local:
        raise NotAllowed(ErrorCode.MAY_NOT_PROPOSE)
    if not await is_member(session, collective, person):
        raise NotAllowed(ErrorCode.MAY_NOT_PROPOSE)
    title = " ".join(title.split())
    text = text.strip()
    if not title:
        raise Invalid(ErrorCode.MISSING_PROPOSAL_TITLE, "title")
    if len(title) > MAX_TITLE:
        raise Invalid(ErrorCode.TITLE_TOO_LONG, "title")
    if not text:
        raise Invalid(ErrorCode.MISSING_PROPOSAL_TEXT, "text")
    if len(text) > MAX_TEXT:
        raise Invalid(ErrorCode.DESCRIPTION_TOO_LONG, "text", count=MAX_TEXT)
    proposal = Proposal(
        uri=f"{uris.base}/proposals/{uuid.uuid4()}", actor_id=collective.id, author_id=person.id,
        is_local=True, title=title, text_source=text, text_html=render_markdown(text),
        status=OPEN, published=utcnow(),
    )  # fmt: skip
    session.add(proposal)
    await session.flush()
    await send_proposal(session, uris, proposal, "Create")
    return proposal


async def _count(session: AsyncSession, proposal: Proposal, change: int) -> None:
    await session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(support_count=Proposal.support_count + change)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(proposal, ["support_count"])


async def add_support(
    session: AsyncSession, proposal: Proposal, supporter: Actor, like_uri: str | None = None,
    now: datetime | None = None,
) -> None:  # fmt: skip
    """Count ``supporter`` once; :class:`Conflict` if they already support it or it is answered."""
    if proposal.status not in SUPPORTABLE or proposal.deleted_at is not None:
        raise Conflict(ErrorCode.PROPOSAL_ANSWERED)
    try:
        async with session.begin_nested():
            session.add(ProposalSupport(proposal_id=proposal.id, supporter_id=supporter.id,
                                        supporter_uri=supporter.uri, like_uri=like_uri,
                                        supported_at=now or utcnow()))  # fmt: skip
            await session.flush()
    except IntegrityError:
        raise Conflict(ErrorCode.ALREADY_SUPPORTED) from None
    await _count(session, proposal, 1)


async def take_back_support(
    session: AsyncSession, proposal: Proposal, supporter_uri: str, like_uri: str | None = None
) -> bool:
    """Remove one support (the one its Like carried, when ``like_uri``); False if none."""
    query = select(ProposalSupport).where(
        ProposalSupport.proposal_id == proposal.id, ProposalSupport.supporter_uri == supporter_uri
    )
    if like_uri is not None:
        query = query.where(ProposalSupport.like_uri == like_uri)
    support = await session.scalar(query)
    if support is None:
        return False
    await session.delete(support)
    await session.flush()
    await _count(session, proposal, -1)
    return True


async def answer_proposal(
    session: AsyncSession, uris: Uris, person: Actor, proposal: Proposal, status: str, text: str
) -> None:
    """A facilitator answers for the collective; the answer goes to its followers, and the
    member who proposed it is told."""
    collective = await session.get(Actor, proposal.actor_id)
    if collective is None or not await may_organise(session, person, collective):
        raise NotOrganiser()
    if status not in ANSWERS:
        raise Invalid(ErrorCode.INVALID_PROPOSAL_STATUS, "status")
    text = text.strip()
    if not text and status in (ACCEPTED, REJECTED):
        raise Invalid(ErrorCode.PROPOSAL_ANSWER_MISSING, "answer")
    if len(text) > MAX_TEXT:
        raise Invalid(ErrorCode.DESCRIPTION_TOO_LONG, "answer", count=MAX_TEXT)
    now = utcnow()
    proposal.status = status
    proposal.answer_source = text or None
    proposal.answer_html = render_markdown(text) if text else None
    proposal.answered_at = now
    proposal.updated = now
    await send_proposal(session, uris, proposal, "Update")
    if proposal.author_id is not None and proposal.author_id != person.id:
        await notify(session, proposal.author_id, "proposal_answered", person.id,
                     group_id=collective.id)  # fmt: skip
