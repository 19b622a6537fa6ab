"""A federated neighbour quartier, scripted: its outbox pages and the answers its server gives
(a status, a redirect, a body that is no JSON, a slow answer), and where a reading of its past
stands, as the tests of that reading set it up and read it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import select, update

from actors.quartier_federation import instance_actor_of, when_link_changes
from storage.models import Backfill, Follow
from storage.models.follows import ACCEPTED
from storage.models.queue import QUEUED
from tests.inbox.fediverse import Fediverse, RemoteServer, fediverse
from tests.inbox.signing import ACTIVITY_JSON

NEIGHBOUR = "servette.test"
ELSEWHERE = "jonction.test"
HOSTS = (NEIGHBOUR, ELSEWHERE)
ORIGIN = f"http://{NEIGHBOUR}"
OUTBOX = f"{ORIGIN}/quartier/outbox"
PAGE_1 = f"{ORIGIN}/quartier/outbox/page/1"
PAGE_2 = f"{ORIGIN}/quartier/outbox/page/2"
CAFE = f"{ORIGIN}/collectives/cafe"


# --- the neighbour and what it serves -------------------------------------------------------


class Scripted(httpx2.ASGITransport):
    """The neighbour's server, with scripted answers served first at some paths, once each:
    a status, a redirect, a body that is no JSON, or a slow answer. Then it serves its
    documents as usual."""

    def __init__(self, server: RemoteServer) -> None:
        super().__init__(app=server.app())
        self.server = server
        self.answers: dict[str, list[Callable[[], Any]]] = {}

    def then(self, uri: str, *answers: Callable[[], Any]) -> None:
        self.answers.setdefault(httpx2.URL(uri).path, []).extend(answers)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        queued = self.answers.get(request.url.path)
        if not queued:
            return await super().handle_async_request(request)
        answer = await queued.pop(0)()
        if answer is None:  # a slow answer ends as the document served
            return await super().handle_async_request(request)
        assert isinstance(answer, httpx2.Response)
        self.server.fetched.append(request.url.path)
        return answer


def status(code: int) -> Callable[[], Any]:
    async def answer() -> httpx2.Response:
        return httpx2.Response(code, text="indisponible")

    return answer


def redirect(location: str) -> Callable[[], Any]:
    async def answer() -> httpx2.Response:
        return httpx2.Response(302, headers={"Location": location})

    return answer


def text(body: str) -> Callable[[], Any]:
    async def answer() -> httpx2.Response:
        return httpx2.Response(200, text=body, headers={"Content-Type": ACTIVITY_JSON})

    return answer


def slow(seconds: float) -> Callable[[], Any]:
    async def answer() -> None:
        await asyncio.sleep(seconds)

    return answer


def create(
    number: int, *, published: datetime | None = None, host: str = NEIGHBOUR
) -> dict[str, Any]:
    """A public note of the neighbour's café, as its quartier's outbox lists it."""
    document: dict[str, Any] = {
        "id": f"http://{host}/activities/{number}",
        "type": "Create",
        "actor": CAFE,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": f"http://{host}/posts/{number}",
            "type": "Note",
            "attributedTo": CAFE,
            "content": f"<p>Nouvelles du café n°{number}</p>",
        },
    }
    if published is not None:
        document["published"] = published.isoformat()
    return document


def page(uri: str, *items: object, following: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": uri,
        "type": "OrderedCollectionPage",
        "orderedItems": list(items),
    }
    if following is not None:
        document["next"] = following
    return document


def collection(first: object) -> dict[str, Any]:
    return {"id": OUTBOX, "type": "OrderedCollection", "totalItems": 5, "first": first}


def activity_id(number: int) -> str:
    return f"{ORIGIN}/activities/{number}"


@asynccontextmanager
async def neighbourhood(
    tmp_path: Path, database_kind: str, **federation: Any
) -> AsyncIterator[tuple[Fediverse, Scripted]]:
    """paquis.test federated with the Servette (its instance actor, an ``Application``, whose
    outbox is at ``OUTBOX``): the reading of the Servette's past is queued, nothing read yet."""
    async with fediverse(tmp_path, database_kind, HOSTS, **federation) as world:
        servette = world[NEIGHBOUR]
        front = Scripted(servette)
        world.router.transports[NEIGHBOUR] = front
        uri = servette.add_actor("quartier", kind="Application", outbox=OUTBOX)
        there = await world.instance.remote_actors.actor(uri)
        assert there is not None
        async with world.instance.database.transaction() as session:
            here = await instance_actor_of(session)
            session.add_all([
                Follow(uri=f"http://paquis.test/follows/{there.id}", follower_id=here.id,
                       followed_id=there.id, state=ACCEPTED),
                Follow(uri=f"{ORIGIN}/follows/paquis", follower_id=there.id,
                       followed_id=here.id, state=ACCEPTED),
            ])  # fmt: skip
            await session.flush()
            await when_link_changes(session, here, there, None)
        servette.fetched.clear()
        yield world, front


async def reading(world: Fediverse) -> Backfill:
    async with world.instance.database.session() as session:
        rows = list(await session.scalars(select(Backfill)))
    assert len(rows) == 1
    return rows[0]


def stands(row: Backfill) -> dict[str, Any]:
    """Where a reading stands, as the admin's page and the next step read it."""
    return {
        "state": row.state, "next_page_uri": row.next_page_uri, "pages_read": row.pages_read,
        "items_done": row.items_done, "items_skipped": row.items_skipped,
        "attempts": row.attempts, "failure": row.failure, "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at, "finished_at": row.finished_at,
        "locked_until": row.locked_until, "claim_token": row.claim_token,
    }  # fmt: skip


def expected(**changes: Any) -> dict[str, Any]:
    """A reading freshly started, with ``changes``."""
    fresh = {
        "state": QUEUED, "next_page_uri": None, "pages_read": 0, "items_done": 0,
        "items_skipped": 0, "attempts": 0, "failure": None, "last_error": None,
        "finished_at": None, "locked_until": None, "claim_token": None,
    }  # fmt: skip
    return fresh | changes


async def set_reading(world: Fediverse, **values: Any) -> Backfill:
    async with world.instance.database.transaction() as session:
        await session.execute(update(Backfill).values(**values))
    return await reading(world)


async def queued_ids(world: Fediverse) -> list[str]:
    return [item.activity_uri for item in await world.inbox_items()]


async def started(world: Fediverse) -> datetime:
    """When the reading started, and it is due: the time the tests step it from."""
    return (await reading(world)).started_at + timedelta(seconds=1)
