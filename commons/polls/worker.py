"""Tallies and deadlines of our polls, run with the queue workers (in ``quartiers serve`` and
in ``quartiers worker``) every :data:`EVERY_SECONDS`.

As for petitions, Mastodon learns a poll's new tally only from an ``Update(Question)``: the
tallies that changed since they were last sent go out together, at most once per round, to the
followers and every remote voter, each with a newer ``updated``. A poll whose deadline has
passed closes, and its final tally — with the results, when they were hidden — always goes out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from commons.polls.services import close_poll, send_poll
from config.uris import Uris
from storage.database import Database
from storage.models import Poll, utcnow
from storage.models.polls import OPEN
from storage.pipeline import repeat_until_stopped

log = logging.getLogger(__name__)

EVERY_SECONDS = 60.0
BATCH = 100


@dataclass(frozen=True, slots=True)
class Tallied:
    updates: int
    closed: int


class PollTallies:
    def __init__(
        self, database: Database, uris: Uris, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.database = database
        self.uris = uris
        self.clock = clock

    async def run_once(self) -> Tallied:
        now = self.clock()
        async with self.database.transaction() as session:
            open_ours = (Poll.is_local.is_(True), Poll.status == OPEN, Poll.deleted_at.is_(None))
            due = list(await session.scalars(
                select(Poll).where(*open_ours, Poll.deadline <= now).order_by(Poll.id).limit(BATCH)
            ))  # fmt: skip
            for poll in due:
                await close_poll(session, self.uris, poll)
            changed = list(await session.scalars(
                select(Poll).where(*open_ours, Poll.deadline > now,
                                   Poll.changes != Poll.sent_changes).order_by(Poll.id).limit(BATCH)
            ))  # fmt: skip
            for poll in changed:
                poll.updated = now
                await send_poll(session, self.uris, poll, "Update")
        if due or changed:
            log.info("polls: %s tallies sent, %s closed", len(changed), len(due))
        return Tallied(len(changed) + len(due), len(due))

    async def run_forever(self, stop: asyncio.Event, every_seconds: float = EVERY_SECONDS) -> None:
        await repeat_until_stopped(
            stop, self.run_once, every_seconds, "sending the polls' tallies failed; later then"
        )
