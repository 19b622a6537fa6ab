"""Running the queue workers: inside `quartiers serve`, or alone with `quartiers worker`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from datetime import timedelta

from actors.blocklist_reader import BlocklistReader
from actors.housekeeping import Housekeeping
from actors.neighbour_descriptions import NeighbourDescriptions
from commons.events.worker import OccurrenceWorker
from commons.offers.worker import BookingUpkeep
from commons.petitions.worker import PetitionTallies
from commons.polls.worker import PollTallies
from config.settings import Settings
from federation.client import FederationClient
from federation.host_pools import DEFAULT_PER_HOST_CONNECTIONS
from inbox.backfill import NeighbourBackfill
from inbox.worker import InboxWorker
from instance.runtime import Instance
from outbox.signing import signing_processes
from outbox.worker import DeliveryWorker
from storage.database import Database

log = logging.getLogger(__name__)


def build_federation_client(settings: Settings) -> FederationClient:
    federation = settings.federation
    return FederationClient.create(
        user_agent=settings.user_agent,
        allow_private_addresses=federation.allow_private_addresses,
        max_response_bytes=federation.max_response_bytes,
        timeout_seconds=federation.fetch_timeout_seconds,
        # Never fewer connections to a server than the deliveries it may be sent at once.
        per_host_connections=max(DEFAULT_PER_HOST_CONNECTIONS, federation.per_host_concurrency),
    )


def delivery_worker(instance: Instance) -> DeliveryWorker:
    assert instance.federation is not None
    federation = instance.settings.federation
    return DeliveryWorker(
        instance.database,
        instance.federation,
        concurrency=federation.delivery_workers,
        per_host=federation.per_host_concurrency,
        batch_size=federation.delivery_batch_size,
        timeout_seconds=federation.delivery_timeout_seconds,
        lease=timedelta(seconds=federation.lease_seconds),
        signing_processes=signing_processes(federation.signing_processes),
    )


@contextlib.asynccontextmanager
async def running_workers(instance: Instance) -> AsyncIterator[None]:
    """Run in the background, until the block ends: the inbox and delivery workers, the one
    that writes the dates of series further ahead, the hourly tidying of ended sessions, the
    reading of what neighbour quartiers say of themselves (new ones within a minute), the
    reading of a federated neighbour's recent past, the daily reading of the subscribed
    blocklists, and the upkeep of bookings, petitions and polls."""
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(InboxWorker(instance).run_forever(stop), name="inbox-worker"),
        asyncio.create_task(delivery_worker(instance).run_forever(stop), name="delivery-worker"),
        asyncio.create_task(
            OccurrenceWorker(instance.database).run_forever(stop), name="occurrence-worker"
        ),
        asyncio.create_task(Housekeeping(instance.database).run_forever(stop), name="housekeeping"),
        asyncio.create_task(
            NeighbourDescriptions(instance.database, instance.federation).run_forever(stop),
            name="neighbour-descriptions",
        ),
        asyncio.create_task(
            NeighbourBackfill(instance).run_forever(stop), name="neighbour-backfill"
        ),
        asyncio.create_task(
            BlocklistReader(
                instance.database, instance.federation, instance.settings.host
            ).run_forever(stop),
            name="blocklists",
        ),
        asyncio.create_task(
            BookingUpkeep(instance.database, instance.uris).run_forever(stop), name="bookings"
        ),
        asyncio.create_task(
            PetitionTallies(instance.database, instance.uris).run_forever(stop), name="petitions"
        ),
        asyncio.create_task(
            PollTallies(instance.database, instance.uris).run_forever(stop), name="polls"
        ),
    ]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_workers_forever(settings: Settings, database: Database) -> None:
    client = build_federation_client(settings)
    instance = Instance(settings=settings, database=database, federation=client)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info("workers started for %s", settings.base_url)
    try:
        async with running_workers(instance):
            await stop.wait()
    finally:
        await client.aclose()
