"""10,000 signatures of one petition, from three quartiers and from Mastodon.

An assembly's petition is open. 10,000 votes (``Create{Note{name: "Je signe"}}``, as Mastodon
and our servers send them) from 9,000 distinct people — residents of three other quartiers and
Mastodon users — plus 1,000 second votes of the same people, are written into the inbox queue at
once (as the inbox route stores verified activities). The production inbox worker handles them
(concurrently, as ``quartiers worker`` does) while the petitions' upkeep runs every second, as it
would every minute in production, sending the changed tally in batches. Reported: the tally
(goal: exactly 9,000, each person once), the time until every vote is handled (goal: ≤ 5 s),
beside the queue's own time for the same items (a worker that applies nothing), and how many
``Update(Question)`` activities and deliveries were sent (batched, not one per vote).

Usage: .venv/bin/python bench/petitions.py [--postgres URL] [--votes N]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from inbox_handling import QueueOnly, drain
from signed_creates import receiving_settings
from sqlalchemy import func, insert, select
from support import add_postgres_argument, bench_database, database_kinds, report

from actors.services import create_account, create_group, ensure_instance_actor
from commons.petitions.fields import PetitionFields
from commons.petitions.services import confirm, draft_petition
from commons.petitions.worker import PetitionTallies
from config.uris import Uris
from federation.client import FederationClient
from inbox.worker import InboxWorker
from instance.runtime import Instance
from quartiers import event_loop
from storage.database import Database
from storage.models import (
    Activity,
    Actor,
    Delivery,
    InboxItem,
    Membership,
    Petition,
    Signature,
    utcnow,
)
from storage.models.queue import QUEUED

HOSTS = ("jonction.example", "servette.example", "eaux-vives.example", "mastodon.example")
GOAL_SECONDS = 5.0


@dataclass
class Run:
    database: str
    votes: int
    people: int
    tally: int
    signatures: int
    settle_s: float
    queue_alone_s: float
    update_activities: int
    update_deliveries: int
    rejects: int


def people(count: int) -> list[str]:
    return [f"https://{HOSTS[n % len(HOSTS)]}/users/p{n}" for n in range(count)]


async def seed(database: Database, settings: Any, voters: list[str]) -> Petition:
    now = utcnow()
    uris = Uris(settings.base_url)
    async with database.transaction() as session:
        await ensure_instance_actor(session, settings)
        first = await create_account(session, settings, "amelie", "password123")
        second = await create_account(session, settings, "fatou", "password123")
        assembly = await create_group(session, settings, "assemblee", "assembly", "amelie")
        session.add(Membership(group_id=assembly.id, member_id=second.actor_id, role="member"))
        await session.execute(insert(Actor), [{
            "uri": uri, "type": "Person", "username": uri.rsplit("/", 1)[-1],
            "domain": uri.split("/")[2], "is_local": False, "name": uri, "summary": "",
            "inbox_uri": f"{uri}/inbox", "shared_inbox_uri": f"https://{uri.split('/')[2]}/inbox",
            "followers_uri": f"{uri}/followers", "public_key_id": f"{uri}#main-key",
            "public_key_pem": "", "manually_approves_followers": False, "is_gone": False,
            "fetched_at": now, "created_at": now, "updated_at": now,
        } for uri in voters])  # fmt: skip
        amelie = await session.get(Actor, first.actor_id)
        fatou = await session.get(Actor, second.actor_id)
        assert amelie is not None and fatou is not None
        fields = PetitionFields(title="Des bancs place de la Navigation", text="Pour s’asseoir.",
                                deadline=now + timedelta(days=30), goal=10_000)  # fmt: skip
        petition = await draft_petition(session, uris, amelie, assembly, fields, [fatou])
        await confirm(session, uris, fatou, petition)
        return petition


def vote(actor: str, petition_uri: str, author_uri: str, serial: int) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}#votes/{serial}/activity",
        "type": "Create",
        "actor": actor,
        "to": author_uri,
        "object": {
            "id": f"{actor}#votes/{serial}", "type": "Note", "name": "Je signe",
            "attributedTo": actor, "to": author_uri, "inReplyTo": petition_uri,
        },
    }  # fmt: skip


async def queue_votes(
    database: Database, petition: Petition, voters: list[str], count: int, tag: str
) -> None:
    async with database.session() as session:
        author = await session.get(Actor, petition.actor_id)
    assert author is not None
    now = utcnow()
    rows = []
    for serial in range(count):
        actor = voters[serial % len(voters)]
        payload = vote(actor, petition.uri, author.uri, serial)
        payload["id"] = f"{payload['id']}-{tag}"
        rows.append({"activity_uri": payload["id"], "actor_uri": actor, "activity_type": "Create",
                     "recipient_id": author.id, "payload": json.dumps(payload), "state": QUEUED,
                     "attempts": 0, "next_attempt_at": now, "received_at": now})  # fmt: skip
    async with database.transaction() as session:
        for first in range(0, len(rows), 2000):
            await session.execute(insert(InboxItem), rows[first : first + 2000])


def with_tallies(tallies: PetitionTallies) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """The petitions' upkeep every second, beside the inbox worker, until it stops."""

    async def upkeep(stop: asyncio.Event) -> None:
        await tallies.run_forever(stop, every_seconds=1.0)

    return upkeep


async def run(kind: str, postgres: str | None, count: int) -> Run:
    distinct = count * 9 // 10
    voters = people(distinct)
    async with bench_database(kind, postgres) as database:
        settings = receiving_settings(database.url)
        petition = await seed(database, settings, voters)
        client = FederationClient.create(user_agent="bench", allow_private_addresses=True)
        instance = Instance(settings=settings, database=database, federation=client)
        tallies = PetitionTallies(database, instance.uris)
        try:
            await queue_votes(database, petition, voters, count, "ceiling")
            alone_s = await drain(QueueOnly(instance), database)
            await queue_votes(database, petition, voters, count, "real")
            settle_s = await drain(InboxWorker(instance), database, with_tallies(tallies))
            await tallies.run_once()  # the last batch, as the next round would send it
        finally:
            await client.aclose()
        async with database.session() as session:
            row = await session.get(Petition, petition.id)
            signatures = await session.scalar(
                select(func.count()).select_from(Signature)
                .where(Signature.petition_id == petition.id, Signature.withdrawn_at.is_(None))
            )  # fmt: skip
            updates = await session.scalar(
                select(func.count()).select_from(Activity).where(Activity.type == "Update")
            )
            rejects = await session.scalar(
                select(func.count()).select_from(Activity).where(Activity.type == "Reject")
            )
            deliveries = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .join(Activity, Activity.id == Delivery.activity_id)
                .where(Activity.type == "Update")
            )
    assert row is not None
    return Run(
        database=kind, votes=count, people=distinct, tally=row.signature_count,
        signatures=signatures or 0, settle_s=round(settle_s, 2), queue_alone_s=round(alone_s, 2),
        update_activities=updates or 0, update_deliveries=deliveries or 0, rejects=rejects or 0,
    )  # fmt: skip


COLUMNS = [
    ("database", "database"), ("votes", "votes"), ("people", "people"), ("tally", "tally"),
    ("signatures", "signatures kept"), ("settle_s", "settle s"),
    ("queue_alone_s", "queue alone s (ceiling)"), ("update_activities", "Update(Question)"),
    ("update_deliveries", "their deliveries"), ("rejects", "second votes refused (Reject)"),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_postgres_argument(parser)
    parser.add_argument("--votes", type=int, default=10_000)
    args = parser.parse_args()
    kinds, postgres = database_kinds(args.postgres)
    runs = [event_loop.run(run(kind, postgres, args.votes)) for kind in kinds]
    report(
        "petitions",
        f"{args.votes} votes on one petition from {len(HOSTS)} servers (three quartiers and a "
        f"Mastodon), {args.votes * 9 // 10} distinct people (goal: the tally exact, settled in "
        f"<= {GOAL_SECONDS} s, tallies sent in batches)",
        runs,
        COLUMNS,
    )


if __name__ == "__main__":
    main()
