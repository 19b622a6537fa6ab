"""After the collection: the petition handed over to its addressee (« déposée »), then the answer
it received, both recorded by its collective's facilitators.

Each step is federated like a tally: an ``Update(Question)`` to the followers and every remote
signer, carrying the new status (and the answer, in our ``petitionAnswer`` term and in the text
Mastodon shows), and a post of the collective to its followers. Our residents who signed are told
of the answer in their notifications.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.markdown import render_markdown
from commons.petitions.fields import MAX_ANSWER
from commons.petitions.services import facilitated_collective, send_petition
from commons.posts.services import PostDraft, publish_post, render_post
from config.errors import Conflict, ErrorCode, Invalid
from config.uris import Uris
from storage.models import Actor, Notification, Petition, Signature, utcnow
from storage.models.petitions import ANSWERED, CLOSED, COLLECTING, SUBMITTED


def newer_than_sent(petition: Petition, now: datetime) -> datetime:
    """The ``updated`` of the next Update: now, or just after the last one sent if that one is
    dated later (servers keep a copy only from a newer version)."""
    last = petition.updated
    return now if last is None or last < now else last + timedelta(seconds=1)


async def _post(session: AsyncSession, uris: Uris, collective: Actor, words: str) -> None:
    rendered = await render_post(session, uris, collective, words)
    await publish_post(session, uris, collective, PostDraft.of(rendered, words))


async def mark_submitted(
    session: AsyncSession, uris: Uris, person: Actor, petition: Petition
) -> None:
    """The facilitators handed the signatures over: it stops collecting if it still did."""
    collective = await facilitated_collective(session, person, petition)
    if petition.status not in (COLLECTING, CLOSED):
        raise Conflict(ErrorCode.PETITION_NOT_SUBMITTABLE)
    now = utcnow()
    if petition.status == COLLECTING:
        petition.closed_at = now
    petition.status = SUBMITTED
    petition.submitted_at = now
    petition.updated = newer_than_sent(petition, now)
    await send_petition(session, uris, petition, "Update")
    to = f" auprès de {petition.addressee}" if petition.addressee else ""
    words = (f"« {petition.title} » a été déposée{to}, avec "
             f"{petition.signature_count} signatures. Merci à toutes celles et ceux qui l’ont "
             f"signée !\n\n{petition.url or petition.uri}")  # fmt: skip
    await _post(session, uris, collective, words)


async def publish_answer(
    session: AsyncSession, uris: Uris, person: Actor, petition: Petition, answer: str
) -> None:
    """The answer the addressee gave (Markdown), published; given again, it corrects it."""
    collective = await facilitated_collective(session, person, petition)
    if petition.status not in (SUBMITTED, ANSWERED):
        raise Conflict(ErrorCode.PETITION_NOT_SUBMITTED)
    text = answer.strip()
    if not text:
        raise Invalid(ErrorCode.ANSWER_MISSING, "answer")
    if len(text) > MAX_ANSWER:
        raise Invalid(ErrorCode.TOO_LONG, "answer", limit=MAX_ANSWER)
    first_answer = petition.status == SUBMITTED
    now = utcnow()
    petition.answer_html = render_markdown(text)
    petition.status = ANSWERED
    petition.answered_at = petition.answered_at or now
    petition.updated = newer_than_sent(petition, now)
    await send_petition(session, uris, petition, "Update")
    if not first_answer:
        return
    by = f" de la part de {petition.addressee}" if petition.addressee else ""
    words = (
        f"« {petition.title} » a reçu une réponse{by}. La lire :\n\n{petition.url or petition.uri}"
    )
    await _post(session, uris, collective, words)
    await tell_signers_of_answer(session, petition)


async def tell_signers_of_answer(session: AsyncSession, petition: Petition) -> None:
    """A notification to each of our residents who signed ``petition`` (ours or another
    quartier's) and has not withdrawn: it received an answer."""
    await session.execute(
        insert(Notification).from_select(
            ["recipient_id", "kind", "from_actor_id", "group_id"],
            select(
                Signature.signer_id,
                literal("petition_answered"),
                literal(petition.actor_id),
                literal(petition.actor_id),
            )
            .join(Actor, Actor.id == Signature.signer_id)
            .where(
                Signature.petition_id == petition.id,
                Signature.withdrawn_at.is_(None),
                Actor.is_local.is_(True),
            ),
        )
    )
