"""Tallies and deadlines of our petitions, run with the queue workers (in ``quartiers serve``
and in ``quartiers worker``) every :data:`EVERY_SECONDS`.

Mastodon learns a poll's new tally only from an ``Update(Question)``; sending one per vote would
send 10,000 for 10,000 signatures. So the tallies that changed since they were last sent go out
together, at most once per round, to the followers and every remote signer, each with a newer
``updated`` (Mastodon refuses an Update of an edited status without one). A petition whose
deadline has passed closes, and its final tally always goes out. Progress notices (25, 50, 75,
100 % of the goal) are posts of the collective to its followers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.petitions.services import send_petition
from commons.petitions.vocabulary import PROGRESS_STEPS
from commons.posts.services import PostDraft, publish_post, render_post
from config.uris import Uris
from storage.database import Database
from storage.models import Actor, Petition, utcnow
from storage.models.petitions import CLOSED, COLLECTING
from storage.pipeline import repeat_until_stopped

log = logging.getLogger(__name__)

EVERY_SECONDS = 60.0
BATCH = 100


@dataclass(frozen=True, slots=True)
class Tallied:
    updates: int
    closed: int


def progress_step(petition: Petition) -> int:
    """The highest share of the goal reached (0 when none of :data:`PROGRESS_STEPS`)."""
    if petition.goal <= 0:
        return 0
    share = 100 * petition.signature_count / petition.goal
    return max((step for step in PROGRESS_STEPS if share >= step), default=0)


def progress_words(petition: Petition, step: int) -> str:
    if step >= 100:
        return (f"L’objectif est atteint : « {petition.title} » a recueilli "
                f"{petition.signature_count} signatures. Merci !")  # fmt: skip
    return (f"« {petition.title} » a atteint {step} % de son objectif : "
            f"{petition.signature_count} signatures sur {petition.goal}.")  # fmt: skip


async def tell_progress(session: AsyncSession, uris: Uris, petition: Petition) -> None:
    step = progress_step(petition)
    if step <= petition.notices_sent:
        return
    petition.notices_sent = step
    author = await session.get(Actor, petition.actor_id)
    if author is None:
        return
    text = f"{progress_words(petition, step)}\n\n{petition.url or petition.uri}"
    rendered = await render_post(session, uris, author, text)
    await publish_post(session, uris, author, PostDraft.of(rendered, text))


class PetitionTallies:
    def __init__(
        self, database: Database, uris: Uris, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.database = database
        self.uris = uris
        self.clock = clock

    async def run_once(self) -> Tallied:
        now = self.clock()
        async with self.database.transaction() as session:
            due = list(await session.scalars(
                select(Petition).where(
                    Petition.is_local.is_(True), Petition.status == COLLECTING,
                    Petition.deleted_at.is_(None), Petition.deadline <= now,
                ).order_by(Petition.id).limit(BATCH)
            ))  # fmt: skip
            for petition in due:
                petition.status = CLOSED
                petition.closed_at = now
                petition.updated = now
                await send_petition(session, self.uris, petition, "Update")
            changed = list(await session.scalars(
                select(Petition).where(
                    Petition.is_local.is_(True), Petition.status == COLLECTING,
                    Petition.deleted_at.is_(None),
                    Petition.signature_count != Petition.sent_count,
                ).order_by(Petition.id).limit(BATCH)
            ))  # fmt: skip
            for petition in changed:
                petition.updated = now
                await send_petition(session, self.uris, petition, "Update")
                await tell_progress(session, self.uris, petition)
        if due or changed:
            log.info("petitions: %s tallies sent, %s closed", len(changed), len(due))
        return Tallied(len(changed) + len(due), len(due))

    async def run_forever(self, stop: asyncio.Event, every_seconds: float = EVERY_SECONDS) -> None:
        await repeat_until_stopped(
            stop, self.run_once, every_seconds, "sending the petitions' tallies failed; later then"
        )
