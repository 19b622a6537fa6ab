"""The inbox worker: claims received activities and applies them, one at a time, in order."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from federation.errors import InvalidActivity
from federation.parsing import parse_activity
from inbox.context import InboxContext
from inbox.dispatch import dispatch
from quartiers.instance import Instance
from storage.claims import claim_due
from storage.models import InboxItem, utcnow
from storage.models.queue import DONE, FAILED, QUEUED

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5


class InboxWorker:
    def __init__(self, instance: Instance, batch_size: int = 32) -> None:
        self.instance = instance
        self.batch_size = batch_size

    async def run_once(self, now: datetime | None = None) -> int:
        moment = now or utcnow()
        database = self.instance.database
        async with database.transaction() as session:
            ids = await claim_due(
                session, InboxItem, now=moment, lease=LEASE, limit=self.batch_size
            )
            if not ids:
                return 0
            items = list(
                (
                    await session.scalars(
                        select(InboxItem).where(InboxItem.id.in_(ids)).order_by(InboxItem.id)
                    )
                ).all()
            )
        for item in items:
            await self._process(item)
        return len(items)

    async def _process(self, item: InboxItem) -> None:
        error: str | None = None
        try:
            await self._apply(item)
        except Exception as failure:
            log.exception("inbox item %s (%s) failed", item.id, item.activity_uri)
            error = f"{type(failure).__name__}: {failure}"[:1000]
        attempts = item.attempts + 1
        values: dict[str, object] = {"attempts": attempts, "locked_until": None}
        if error is None:
            values.update(state=DONE, processed_at=utcnow(), last_error=None)
        elif attempts >= MAX_ATTEMPTS:
            values.update(state=FAILED, processed_at=utcnow(), last_error=error)
        else:
            values.update(
                state=QUEUED,
                last_error=error,
                next_attempt_at=utcnow() + timedelta(seconds=30 * 4**attempts),
            )
        async with self.instance.database.transaction() as session:
            await session.execute(update(InboxItem).where(InboxItem.id == item.id).values(**values))

    async def _apply(self, item: InboxItem) -> None:
        try:
            activity = parse_activity(json.loads(item.payload))
        except (ValueError, InvalidActivity):
            log.info("inbox item %s no longer parses; dropped", item.id)
            return
        sender = await self.instance.remote_actors.actor(activity.actor_uri)
        if sender is None:
            raise LookupError(f"sender {activity.actor_uri} cannot be resolved")
        await dispatch(InboxContext(self.instance, activity, sender, item.recipient_id))

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = 0.5) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:
                log.exception("inbox batch failed; retrying shortly")
                done = 0
            if not done:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
