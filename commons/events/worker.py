"""Keeping the dates of open-ended series written about two years ahead, as time goes by.

A weekly repair café without end has its dates written up to ``HORIZON`` when it is created or
changed; nothing else would write the later ones. This worker, run with the queue workers
(in ``quartiers serve`` and in ``quartiers worker``), extends every series whose dates stop
too soon, by batches, each in its own short transaction, then sleeps for a while.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from commons.events.dates import EXTEND_BATCH, extend_occurrences
from storage.database import Database
from storage.models import utcnow
from storage.pipeline import repeat_until_stopped

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 3600.0


class OccurrenceWorker:
    def __init__(
        self,
        database: Database,
        *,
        batch: int = EXTEND_BATCH,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.batch = batch
        self.clock = clock

    async def run_once(self) -> int:
        """Extend every series due now, batch after batch; returns how many were extended."""
        total = 0
        while True:
            async with self.database.transaction() as session:
                done = await extend_occurrences(session, self.clock(), batch=self.batch)
            total += done
            if done < self.batch:
                if total:
                    log.info("dates of %s series written further ahead", total)
                return total

    async def run_forever(
        self, stop: asyncio.Event, idle_seconds: float = CHECK_EVERY_SECONDS
    ) -> None:
        await repeat_until_stopped(
            stop,
            self.run_once,
            idle_seconds,
            "extending the dates of series failed; trying again later",
        )
