"""Reading the subscribed blocklists: at once when the admin subscribes, then once a day.

Run with the queue workers, every hour, for the subscriptions not read for a day. Fetches go
through the federation client (time-boxed, size-capped, never to a private address unless the
configuration allows it), unsigned: a published blocklist is a public file. A list that cannot
be read keeps what it proposed before, and the page says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from actors.blocklist_csv import MAX_BLOCKLIST_BYTES, BlocklistUnreadable, parse_blocklist
from actors.blocklists import record_blocklist, record_failure
from federation.client import FederationClient
from federation.errors import (
    BadResponse,
    FetchError,
    FetchTimeout,
    PrivateAddressError,
    ResponseTooLarge,
)
from storage.database import Database
from storage.models import BlocklistSubscription, utcnow
from storage.pipeline import repeat_until_stopped

log = logging.getLogger(__name__)

READ_AGAIN_AFTER = timedelta(days=1)
EVERY_SECONDS = 3600.0
PER_ROUND = 20
ACCEPT = "text/csv, text/plain;q=0.9, */*;q=0.1"

# What the admin page says of a failed reading (see webui/pages/admin_blocklists.py).
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"
PRIVATE_ADDRESS = "private_address"
TOO_LARGE = "too_large"
BAD_STATUS = "bad_status"
UNREADABLE = "unreadable"
NO_CLIENT = "no_client"


class BlocklistReader:
    def __init__(
        self,
        database: Database,
        client: FederationClient | None,
        own_host: str,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.client = client
        self.own_host = own_host
        self.clock = clock

    async def run_once(self) -> int:
        """Read the subscriptions not read for a day; returns how many were read."""
        now = self.clock()
        async with self.database.session() as session:
            due = (
                await session.scalars(
                    select(BlocklistSubscription.id)
                    .where(
                        or_(
                            BlocklistSubscription.fetched_at.is_(None),
                            BlocklistSubscription.fetched_at < now - READ_AGAIN_AFTER,
                        )
                    )
                    .order_by(BlocklistSubscription.id)
                    .limit(PER_ROUND)
                )
            ).all()
        read = 0
        for subscription_id in due:
            if await self.read(subscription_id) is None:
                read += 1
        return read

    async def read(self, subscription_id: int) -> str | None:
        """Fetch and record one list; None when it was read, else why not (a code word)."""
        async with self.database.session() as session:
            subscription = await session.get(BlocklistSubscription, subscription_id)
            url = subscription.url if subscription is not None else None
        if url is None:
            return UNREACHABLE
        error: str | None
        try:
            body = await self._fetch(url)
            if len(body) > MAX_BLOCKLIST_BYTES:
                raise ResponseTooLarge(f"{len(body)} bytes > {MAX_BLOCKLIST_BYTES}")
            parsed = parse_blocklist(body)
            error = None
        except BlocklistUnreadable as problem:
            log.info("the blocklist %s cannot be read: %s", url, problem)
            error = UNREADABLE
        except FetchError as problem:
            log.info("the blocklist %s cannot be fetched: %s", url, problem)
            error = _fetch_error(problem)
        now = self.clock()
        async with self.database.transaction() as session:
            if error is None:
                added = await record_blocklist(session, subscription_id, parsed, now, self.own_host)
                log.info("the blocklist %s proposes %s new entries", url, added)
            else:
                await record_failure(session, subscription_id, error, now)
        return error

    async def _fetch(self, url: str) -> bytes:
        if self.client is None:
            raise _NoClient(url)
        _final, body, _headers = await self.client.fetch_bytes(url, None, ACCEPT)
        return body

    async def run_forever(self, stop: asyncio.Event, every_seconds: float = EVERY_SECONDS) -> None:
        await repeat_until_stopped(stop, self.run_once, every_seconds, "reading blocklists failed")


class _NoClient(FetchError):
    """This process has no federation client (it does not fetch)."""


def _fetch_error(problem: FetchError) -> str:
    match problem:
        case _NoClient():
            return NO_CLIENT
        case PrivateAddressError():
            return PRIVATE_ADDRESS
        case ResponseTooLarge():
            return TOO_LARGE
        case FetchTimeout():
            return TIMEOUT
        case BadResponse():
            return BAD_STATUS
        case _:
            return UNREACHABLE
