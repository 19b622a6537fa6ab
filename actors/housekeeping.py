"""Tidying what ends by itself: sessions unused for a month, login counts quiet for a day.

Both already stop counting when their time is up (an ended session lets nobody in, a quiet
count asks for no wait); deleting their rows keeps the tables as small as the instance's real
use. Run with the queue workers (in ``quartiers serve`` and in ``quartiers worker``), once an
hour, in one short transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from actors.login_limits import forget_quiet_failures
from actors.web_sessions import forget_ended_sessions
from storage.database import Database
from storage.models import utcnow
from storage.pipeline import repeat_until_stopped

log = logging.getLogger(__name__)

TIDY_EVERY_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Tidied:
    sessions: int
    login_counts: int


class Housekeeping:
    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.clock = clock

    async def run_once(self) -> Tidied:
        now = self.clock()
        async with self.database.transaction() as session:
            tidied = Tidied(
                sessions=await forget_ended_sessions(session, now),
                login_counts=await forget_quiet_failures(session, now.timestamp()),
            )
        if tidied.sessions or tidied.login_counts:
            log.info(
                "tidied %s ended sessions and %s quiet login counts",
                tidied.sessions,
                tidied.login_counts,
            )
        return tidied

    async def run_forever(
        self, stop: asyncio.Event, every_seconds: float = TIDY_EVERY_SECONDS
    ) -> None:
        await repeat_until_stopped(
            stop, self.run_once, every_seconds, "tidying sessions failed; trying again later"
        )
