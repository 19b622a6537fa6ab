"""Booking under contention: 1,000 reservation attempts for 100 slots, from three instances.

A shared space's item is bookable by the day for the next 100 days (100 slots, one day at most
per booking). 1,000 ``Offer{Agreement}`` activities from 60 residents of three other instances,
each asking for one of those days at random, are written into the inbox queue at once (as the
inbox route stores verified activities), then the production inbox worker handles them
(concurrently, as ``quartiers worker`` does) until none is queued. Reported: accepted bookings
(goal: exactly one per day booked, never more than 100), slots held, double bookings (two
bookings holding one day: goal 0), answers refused (each with a ``Reject`` queued), and the time
to settle beside the queue's own time for the same items (a worker that applies nothing).

Usage: .venv/bin/python bench/reservations.py [--postgres URL] [--attempts N]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from inbox_handling import QueueOnly, drain
from signed_creates import receiving_settings
from sqlalchemy import func, insert, select
from support import add_postgres_argument, bench_database, database_kinds, report

from actors.services import create_account, ensure_instance_actor
from commons.offers.bookables import BookingRules, set_booking_rules
from commons.offers.fields import OfferFields
from commons.offers.services import publish_offer
from config.uris import Uris
from federation.client import FederationClient
from inbox.worker import InboxWorker
from instance.runtime import Instance
from quartiers import event_loop
from storage.database import Database
from storage.models import Activity, Actor, InboxItem, Offer, OfferResponse, ReservationSlot, utcnow
from storage.models.offers import ACCEPTED
from storage.models.queue import QUEUED

GENEVA = ZoneInfo("Europe/Zurich")
HOSTS = ("jonction.example", "servette.example", "eaux-vives.example")
PER_HOST = 20
DAYS = 100


@dataclass
class Run:
    database: str
    attempts: int
    days: int
    accepted: int
    slots_held: int
    double_bookings: int
    refused_with_reject: int
    settle_s: float
    queue_alone_s: float
    share_of_ceiling: float


def people() -> list[str]:
    return [f"https://{host}/users/p{n}" for host in HOSTS for n in range(PER_HOST)]


async def seed(database: Database, settings: Any) -> Offer:
    now = utcnow()
    uris = Uris(settings.base_url)
    async with database.transaction() as session:
        await ensure_instance_actor(session, settings)
        account = await create_account(session, settings, "atelier", "password123")
        owner = await session.get(Actor, account.actor_id)
        assert owner is not None
        offer = await publish_offer(session, uris, owner, owner,
                                    OfferFields(kind="pret", title="Vélo cargo"))  # fmt: skip
        rules = BookingRules(max_slots=1, ahead_days=DAYS + 5)
        await set_booking_rules(session, uris, owner, offer, rules)
        await session.execute(insert(Actor), [{
            "uri": uri, "type": "Person", "username": uri.rsplit("/", 1)[-1],
            "domain": uri.split("/")[2], "is_local": False, "name": uri, "summary": "",
            "inbox_uri": f"{uri}/inbox", "followers_uri": f"{uri}/followers",
            "public_key_id": f"{uri}#main-key", "public_key_pem": "",
            "manually_approves_followers": False, "is_gone": False, "fetched_at": now,
            "created_at": now, "updated_at": now,
        } for uri in people()])  # fmt: skip
        return offer


def attempt(actor: str, offer_uri: str, day: datetime, serial: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/offers/{serial}",
        "type": "Offer",
        "actor": actor,
        "to": [offer_uri],
        "object": {
            "id": f"{actor}/agreements/{serial}",
            "type": "Agreement",
            "stipulates": {
                "type": "Commitment",
                "satisfies": f"{offer_uri}#primary",
                "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
                "hasBeginning": day.isoformat(),
                "hasEnd": (day + timedelta(days=1)).isoformat(),
            },
        },
    }


async def queue_attempts(database: Database, offer_uri: str, count: int, tag: str) -> None:
    rng = random.Random(7)
    first = datetime.now(GENEVA).date() + timedelta(days=2)
    days = [datetime.combine(first + timedelta(days=n), time(), GENEVA) for n in range(DAYS)]
    actors = people()
    now = utcnow()
    rows = []
    for serial in range(count):
        actor = actors[serial % len(actors)]
        payload = attempt(actor, offer_uri, rng.choice(days), f"{tag}-{serial}-{uuid.uuid4()}")
        rows.append({"activity_uri": payload["id"], "actor_uri": actor, "activity_type": "Offer",
                     "payload": json.dumps(payload), "state": QUEUED, "attempts": 0,
                     "next_attempt_at": now, "received_at": now})  # fmt: skip
    async with database.transaction() as session:
        await session.execute(insert(InboxItem), rows)


async def run(kind: str, postgres: str | None, count: int) -> Run:
    async with bench_database(kind, postgres) as database:
        settings = receiving_settings(database.url)
        offer = await seed(database, settings)
        client = FederationClient.create(user_agent="bench", allow_private_addresses=True)
        instance = Instance(settings=settings, database=database, federation=client)
        try:
            await queue_attempts(database, offer.uri, count, "ceiling")
            alone_s = await drain(QueueOnly(instance), database)
            await queue_attempts(database, offer.uri, count, "real")
            settle_s = await drain(InboxWorker(instance), database)
        finally:
            await client.aclose()
        async with database.session() as session:
            accepted = await session.scalar(
                select(func.count()).select_from(OfferResponse)
                .where(OfferResponse.state == ACCEPTED))  # fmt: skip
            held = await session.scalar(select(func.count()).select_from(ReservationSlot))
            doubled = await session.scalar(
                select(func.count()).select_from(
                    select(ReservationSlot.slot_start)
                    .group_by(ReservationSlot.offer_id, ReservationSlot.slot_start)
                    .having(func.count() > 1).subquery()))  # fmt: skip
            rejects = await session.scalar(
                select(func.count()).select_from(Activity).where(Activity.type == "Reject")
            )
            days_asked = await session.scalar(
                select(func.count(func.distinct(ReservationSlot.slot_start)))
            )
    return Run(
        database=kind, attempts=count, days=days_asked or 0, accepted=accepted or 0,
        slots_held=held or 0, double_bookings=doubled or 0, refused_with_reject=rejects or 0,
        settle_s=round(settle_s, 2), queue_alone_s=round(alone_s, 2),
        share_of_ceiling=round(alone_s / settle_s, 3),
    )  # fmt: skip


COLUMNS = [
    ("database", "database"), ("attempts", "attempts"), ("accepted", "accepted"),
    ("slots_held", "days held"), ("double_bookings", "double bookings"),
    ("refused_with_reject", "refused (Reject sent)"), ("settle_s", "settle s"),
    ("queue_alone_s", "queue alone s (ceiling)"), ("share_of_ceiling", "share"),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_postgres_argument(parser)
    parser.add_argument("--attempts", type=int, default=1000)
    args = parser.parse_args()
    kinds, postgres = database_kinds(args.postgres)
    runs = [event_loop.run(run(kind, postgres, args.attempts)) for kind in kinds]
    report(
        "reservations",
        f"{args.attempts} booking attempts from {len(HOSTS)} instances for {DAYS} days of one "
        "item (goal: one booking per day held, 0 double bookings, every other attempt refused "
        "with a Reject)",
        runs,
        COLUMNS,
    )


if __name__ == "__main__":
    main()
