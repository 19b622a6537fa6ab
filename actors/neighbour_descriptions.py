"""Reading what each neighbour quartier says of itself, for the city's directory.

Once a day per neighbour, from its NodeInfo (``/.well-known/nodeinfo``, then the newest document
it links to on its own origin): its name, city, description, contact and area, read as
untrusted text (:func:`actors.directory.read_description`). Run with the queue workers every
minute, so that a quartier met for the first time (a federation just proposed) is named within
a minute; a bounded number of neighbours each time. A neighbour that does not answer keeps what
it said before and is asked again an hour later. Fetches go through the federation client:
time-boxed, size-capped, and never to a private address unless the configuration allows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from actors.directory import Described, read_description
from federation.client import FederationClient
from federation.errors import FetchError, InvalidActivity
from federation.nodeinfo import best_nodeinfo_href, parse_nodeinfo, parse_nodeinfo_links
from federation.vocab import same_origin
from storage.database import Database
from storage.models import Host, utcnow
from storage.pipeline import repeat_until_stopped

log = logging.getLogger(__name__)

READ_AGAIN_AFTER = timedelta(days=1)
ASK_AGAIN_AFTER = timedelta(hours=1)
"""After a neighbour did not answer."""
EVERY_SECONDS = 60.0
PER_ROUND = 50
JSON = "application/json"


class NeighbourDescriptions:
    def __init__(
        self,
        database: Database,
        client: FederationClient | None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.client = client
        self.clock = clock
        self.unanswered: dict[str, datetime] = {}

    async def run_once(self) -> int:
        """Read the neighbours not described for a day; returns how many answered."""
        if self.client is None:
            return 0
        now = self.clock()
        async with self.database.session() as session:
            rows = (
                await session.execute(
                    select(Host.host, Host.origin)
                    .where(
                        Host.is_neighbour.is_(True),
                        Host.origin.is_not(None),
                        or_(
                            Host.described_at.is_(None), Host.described_at < now - READ_AGAIN_AFTER
                        ),
                    )
                    .order_by(Host.described_at.is_not(None), Host.described_at, Host.host)
                    .limit(PER_ROUND)
                )
            ).all()
        due = [(host, origin) for host, origin in rows if not self._waiting(host, now)]
        answered = 0
        for host, origin in due:
            described = await self.read(origin) if origin else None
            if described is None:
                self.unanswered[host] = now
                continue
            self.unanswered.pop(host, None)
            async with self.database.transaction() as session:
                row = await session.get(Host, host)
                if row is None:
                    continue
                row.quartier_name = described.name
                row.city = described.city
                row.description = described.description
                row.contact = described.contact
                row.area = described.area.as_json() if described.area else None
                row.described_at = now
            answered += 1
        if due:
            log.info("%s of %s neighbour quartiers described themselves", answered, len(due))
        return answered

    def _waiting(self, host: str, now: datetime) -> bool:
        """Whether ``host`` did not answer less than an hour ago."""
        last = self.unanswered.get(host)
        return last is not None and now - last < ASK_AGAIN_AFTER

    async def read(self, origin: str) -> Described | None:
        """What the server at ``origin`` says of itself, or None (it did not say)."""
        assert self.client is not None
        try:
            discovery = await self.client.fetch_json(f"{origin}/.well-known/nodeinfo", accept=JSON)
            href = best_nodeinfo_href(parse_nodeinfo_links(discovery))
            if href is None or not same_origin(href, origin):
                log.info("%s links no NodeInfo of its own", origin)
                return None
            info = parse_nodeinfo(await self.client.fetch_json(href, accept=JSON))
        except (FetchError, InvalidActivity) as error:
            log.info("cannot read what %s says of itself: %s", origin, error)
            return None
        return read_description(info.metadata) if info is not None else None

    async def run_forever(self, stop: asyncio.Event, every_seconds: float = EVERY_SECONDS) -> None:
        await repeat_until_stopped(
            stop, self.run_once, every_seconds, "reading the neighbours' descriptions failed"
        )
