"""Helpers for the delivery tests: a scripted remote inbox, a sender, remote actors, queue rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import httpx2
from sqlalchemy import select

from actors.services import create_account
from federation.client import FederationClient
from federation.signatures import Scheme
from outbox.enqueue import enqueue_activity
from storage.database import Database
from storage.models import Actor, Delivery, Follow, Host
from storage.models.follows import ACCEPTED
from tests.support import make_settings

SETTINGS = make_settings("paquis.test")
REMOTE_INBOX = "http://remote.test/users/x/inbox"

Answer = Callable[[httpx2.Request], httpx2.Response]


def status(code: int, **headers: str) -> Answer:
    """Answer every request with ``code`` (header names given with ``_`` for ``-``)."""
    wire = {name.replace("_", "-"): value for name, value in headers.items()}
    return lambda request: httpx2.Response(code, headers=wire)


def raises(error: type[httpx2.TransportError]) -> Answer:
    def answer(request: httpx2.Request) -> httpx2.Response:
        raise error("scripted failure", request=request)

    return answer


def scheme_of(request: httpx2.Request) -> Scheme:
    """RFC 9421 requests carry ``Signature-Input``; draft-cavage ones only ``Signature``."""
    if "signature-input" in request.headers:
        return Scheme.RFC9421
    assert "signature" in request.headers, "request is not signed"
    return Scheme.CAVAGE


@dataclass
class RemoteInboxes:
    """A MockTransport backend that records every POST and answers with ``answer``."""

    answer: Answer = field(default_factory=lambda: status(202))
    requests: list[httpx2.Request] = field(default_factory=list)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.answer(request)

    def client(self) -> FederationClient:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle))
        return FederationClient(http, user_agent="test", allow_private_addresses=True)

    def received(self) -> list[tuple[str, str]]:
        """``(inbox, activity id)`` of every POST, in order."""
        return [(str(r.url), json.loads(r.content)["id"]) for r in self.requests]


async def create_sender(database: Database, username: str = "jeanmarc") -> Actor:
    async with database.transaction() as session:
        account = await create_account(session, SETTINGS, username, "password123")
        actor = await session.get(Actor, account.actor_id)
        assert actor is not None
        return actor


def remote_actor_row(
    inbox_uri: str, *, shared_inbox_uri: str | None = None, username: str | None = None
) -> dict[str, object]:
    """The columns of a cached remote actor whose inbox is ``inbox_uri``."""
    host = httpx2.URL(inbox_uri).host
    name = username or uuid.uuid4().hex[:12]
    uri = f"http://{host}/users/{name}"
    return {
        "uri": uri,
        "type": "Person",
        "username": name,
        "domain": host,
        "is_local": False,
        "name": name,
        "summary": "",
        "inbox_uri": inbox_uri,
        "shared_inbox_uri": shared_inbox_uri,
        "public_key_id": f"{uri}#main-key",
        "public_key_pem": "",
        "is_gone": False,
    }


async def create_remote_actor(
    database: Database, inbox_uri: str = REMOTE_INBOX, *, shared_inbox_uri: str | None = None
) -> Actor:
    async with database.transaction() as session:
        actor = Actor(**remote_actor_row(inbox_uri, shared_inbox_uri=shared_inbox_uri))
        session.add(actor)
        await session.flush()
        return actor


async def follow(database: Database, follower: Actor, followed: Actor) -> None:
    async with database.transaction() as session:
        session.add(
            Follow(
                uri=f"{follower.uri}/follows/{uuid.uuid4().hex}",
                follower_id=follower.id,
                followed_id=followed.id,
                state=ACCEPTED,
            )
        )


def note_activity(sender: Actor) -> dict[str, object]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.uri}/activities/{uuid.uuid4()}",
        "type": "Create",
        "actor": sender.uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"type": "Note", "content": "Samedi : Repair Café"},
    }


async def enqueue(
    database: Database, sender: Actor, inboxes: Iterable[str] = (REMOTE_INBOX,)
) -> str:
    """Queue a fresh activity of ``sender`` to ``inboxes``; returns its id."""
    document = note_activity(sender)
    async with database.transaction() as session:
        await enqueue_activity(session, sender, document, to_followers=False, inboxes=list(inboxes))
    return str(document["id"])


async def deliveries(database: Database) -> list[Delivery]:
    async with database.session() as session:
        return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())


async def only_delivery(database: Database) -> Delivery:
    [row] = await deliveries(database)
    return row


async def host_row(database: Database, name: str) -> Host | None:
    async with database.session() as session:
        return await session.get(Host, name)


async def actor_row(database: Database, actor_id: int) -> Actor:
    async with database.session() as session:
        actor = await session.get(Actor, actor_id)
        assert actor is not None
        return actor


def seconds_between(later: datetime | None, earlier: datetime) -> float:
    assert later is not None
    return (later - earlier).total_seconds()
