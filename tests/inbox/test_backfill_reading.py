"""Reading a federated neighbour quartier's recent past, one server here and the neighbour
scripted: its outbox read page after page into the inbox queue, within the bounds of what is
read, waiting while federation is paused, and failing (at once, or after retries) with the
reason an admin reads."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import delete, event, select, update

import inbox.backfill as backfill_module
from actors.quartier_federation import instance_actor_of, when_link_changes
from inbox.backfill import NeighbourBackfill
from inbox.backfill_pages import PageRead, read_page
from storage.blocks import block_domain
from storage.models import Actor, Backfill, Follow, InboxItem
from storage.models.follows import ACCEPTED, PAUSED, PENDING
from storage.models.queue import DONE, FAILED, QUEUED
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


# --- reading page after page -----------------------------------------------------------------


async def test_the_outbox_is_read_page_after_page_oldest_first_until_no_page_is_left(
    tmp_path: Path, database_kind: str
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        servette = world[NEIGHBOUR]
        # Given the Servette's outbox: a first page of three notes (newest first), one listed by
        # its id only, and a second page (served without a type) of two more, one from elsewhere
        servette.serve(collection(PAGE_1), at=OUTBOX)
        servette.serve(
            page(PAGE_1, create(5), create(4), activity_id(9), create(3), following=PAGE_2),
            at=PAGE_1,
        )
        servette.serve(
            {"id": PAGE_2, "orderedItems": [create(2), create(8, host=ELSEWHERE), create(1)]},
            at=PAGE_2,
        )
        # And note 4 already came here, delivered by the Servette
        async with world.instance.database.transaction() as session:
            session.add(InboxItem(activity_uri=activity_id(4), actor_uri=CAFE,
                                  activity_type="Create", payload="{}", state=DONE))  # fmt: skip
        now = await started(world)
        backfill = NeighbourBackfill(world.instance)

        # When one step is taken
        assert await backfill.run_once(now) == 1

        # Then the first page's notes are queued, the oldest first, the known one not again
        assert servette.fetched == ["/quartier/outbox", "/quartier/outbox/page/1"]
        assert await queued_ids(world) == [activity_id(4), activity_id(3), activity_id(5)]
        items = await world.inbox_items()
        assert items[0].state == DONE and items[0].payload == "{}"
        for item in items[1:]:
            assert (item.state, item.actor_uri, item.activity_type) == (QUEUED, CAFE, "Create")
            assert (item.recipient_id, item.next_attempt_at, item.received_at) == (None, now, now)
            assert json.loads(item.payload)["id"] == item.activity_uri
        # And the reading goes on at the second page at once, the bare id skipped
        assert stands(await reading(world)) == expected(
            next_page_uri=PAGE_2, pages_read=1, items_done=3, items_skipped=1, next_attempt_at=now
        )

        # When the next step is taken, the second page is read where the first left off
        servette.fetched.clear()
        later = now + timedelta(seconds=5)
        assert await backfill.run_once(later) == 1
        assert servette.fetched == ["/quartier/outbox/page/2"]
        assert await queued_ids(world) == [activity_id(n) for n in (4, 3, 5, 1, 2)]
        # And with no page after it, the reading is done
        assert stands(await reading(world)) == expected(
            state=DONE, pages_read=2, items_done=5, items_skipped=2, next_attempt_at=later,
            finished_at=later,
        )  # fmt: skip

        # And a reading done is not read again
        assert await backfill.run_once(later + timedelta(days=1)) == 0
        assert servette.fetched == ["/quartier/outbox/page/2"]


@pytest.mark.parametrize(
    ("outbox", "fetched"),
    [
        (collection(PAGE_1), ["/quartier/outbox", "/quartier/outbox/page/1"]),
        (collection(page(PAGE_1, create(2), create(1))), ["/quartier/outbox"]),
        (collection(None) | {"orderedItems": [create(2), create(1)]}, ["/quartier/outbox"]),
        (page(OUTBOX, create(2), create(1)), ["/quartier/outbox"]),
    ],
    ids=["given-by-its-address", "embedded", "the-collection-itself", "a-page-served-as-outbox"],
)
async def test_the_first_page_is_read_where_the_outbox_puts_it(
    tmp_path: Path, database_kind: str, outbox: dict[str, Any], fetched: list[str]
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        servette = world[NEIGHBOUR]
        servette.serve(outbox, at=OUTBOX)
        servette.serve(page(PAGE_1, create(2), create(1)), at=PAGE_1)
        now = await started(world)

        assert await NeighbourBackfill(world.instance).run_once(now) == 1

        assert servette.fetched == fetched
        assert await queued_ids(world) == [activity_id(1), activity_id(2)]
        assert stands(await reading(world)) == expected(
            state=DONE, pages_read=1, items_done=2, next_attempt_at=now, finished_at=now
        )


async def test_a_neighbour_that_names_no_outbox_is_read_at_its_id_and_outbox(
    tmp_path: Path, database_kind: str
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        servette = world[NEIGHBOUR]
        async with world.instance.database.transaction() as session:
            await session.execute(
                update(Actor).where(Actor.domain == NEIGHBOUR).values(outbox_uri=None)
            )
        servette.serve(page(OUTBOX, create(1)), at=f"{ORIGIN}/users/quartier/outbox")
        now = await started(world)

        assert await NeighbourBackfill(world.instance).run_once(now) == 1

        assert servette.fetched == ["/users/quartier/outbox"]
        assert await queued_ids(world) == [activity_id(1)]
        assert (await reading(world)).state == DONE


async def test_a_redirect_within_the_neighbours_server_is_followed(
    tmp_path: Path, database_kind: str
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, front):
        servette = world[NEIGHBOUR]
        front.then(OUTBOX, redirect("/quartier/outbox/page/1"))
        servette.serve(page(PAGE_1, create(1)), at=PAGE_1)
        now = await started(world)

        assert await NeighbourBackfill(world.instance).run_once(now) == 1

        assert servette.fetched == ["/quartier/outbox", "/quartier/outbox/page/1"]
        assert stands(await reading(world)) == expected(
            state=DONE, pages_read=1, items_done=1, next_attempt_at=now, finished_at=now
        )


# --- the bounds of what is read --------------------------------------------------------------


async def test_the_reading_ends_at_activities_older_than_its_days_counted_from_its_start(
    tmp_path: Path, database_kind: str
) -> None:
    async with neighbourhood(tmp_path, database_kind, backfill_days=30) as (world, _front):
        servette = world[NEIGHBOUR]
        start = (await reading(world)).started_at
        # Given a page with notes of 1 and 25 days before the reading began, then one of 31 days
        # before, then an older page
        dated = [create(3, published=start - timedelta(days=1)),
                 create(2, published=start - timedelta(days=25)),
                 create(1, published=start - timedelta(days=31))]  # fmt: skip
        servette.serve(collection(page(PAGE_1, *dated, following=PAGE_2)), at=OUTBOX)
        servette.serve(page(PAGE_2, create(0)), at=PAGE_2)
        # When it is read ten days after it began (the 25-day-old note is 35 days old by now)
        now = start + timedelta(days=10)
        assert await NeighbourBackfill(world.instance).run_once(now) == 1

        # Then the notes younger than 30 days at its start are queued, and it is done
        assert await queued_ids(world) == [activity_id(2), activity_id(3)]
        assert stands(await reading(world)) == expected(
            state=DONE, pages_read=1, items_done=2, next_attempt_at=now, finished_at=now
        )
        assert servette.fetched == ["/quartier/outbox"]


@pytest.mark.parametrize(
    ("max_items", "steps", "queued"),
    [
        # the bound reached on a page's first item: the second page adds nothing
        (2, [(QUEUED, 2, PAGE_2), (DONE, 2, None)], [4, 5]),
        # the bound reached within the second page
        (3, [(QUEUED, 2, PAGE_2), (DONE, 3, None)], [4, 5, 3]),
        # the bound reached on the first page: the second one is not read
        (1, [(DONE, 1, None)], [5]),
    ],
)
async def test_the_reading_ends_once_it_queued_its_count_of_activities(
    tmp_path: Path,
    database_kind: str,
    max_items: int,
    steps: list[tuple[str, int, str | None]],
    queued: list[int],
) -> None:
    async with neighbourhood(tmp_path, database_kind, backfill_max_items=max_items) as (
        world,
        _front,
    ):
        servette = world[NEIGHBOUR]
        servette.serve(collection(page(PAGE_1, create(5), create(4), following=PAGE_2)), at=OUTBOX)
        servette.serve(page(PAGE_2, create(3), create(2), following=f"{ORIGIN}/p/3"), at=PAGE_2)
        now = await started(world)
        backfill = NeighbourBackfill(world.instance)

        for pages, (state, done, following) in enumerate(steps, start=1):
            assert await backfill.run_once(now) == 1
            assert stands(await reading(world)) == expected(
                state=state, next_page_uri=following, pages_read=pages, items_done=done,
                next_attempt_at=now, finished_at=now if state == DONE else None,
            )  # fmt: skip

        assert await queued_ids(world) == [activity_id(n) for n in queued]
        assert await backfill.run_once(now) == 0


async def test_a_bound_reached_ends_the_reading_whatever_page_comes_next(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        world[NEIGHBOUR].serve(collection(page(PAGE_1, create(2), create(1))), at=OUTBOX)

        # Given a page read up to a bound, that still names a page after it
        def bounded_with_a_next_page(
            document: dict[str, Any], *args: Any, **bounds: Any
        ) -> PageRead:
            read = read_page(document, *args, **bounds)
            return replace(read, taken=read.taken[:1], bound_reached=True, next_uri=PAGE_2)

        monkeypatch.setattr(backfill_module, "read_page", bounded_with_a_next_page)
        now = await started(world)

        assert await NeighbourBackfill(world.instance).run_once(now) == 1

        # Then the reading is done, with no page left to read
        assert await queued_ids(world) == [activity_id(2)]
        assert stands(await reading(world)) == expected(
            state=DONE, pages_read=1, items_done=1, next_attempt_at=now, finished_at=now
        )


# --- federation paused, ended, the neighbour blocked -----------------------------------------

Follows = tuple[str | None, str | None]  # our follow of the Servette, and its follow of us


async def link_becomes(world: Fediverse, ours: str | None, theirs: str | None) -> None:
    async with world.instance.database.transaction() as session:
        here = await instance_actor_of(session)
        ours_here, theirs_here = Follow.follower_id == here.id, Follow.followed_id == here.id
        for where, state in ((ours_here, ours), (theirs_here, theirs)):
            if state is None:
                await session.execute(delete(Follow).where(where))
            else:
                await session.execute(update(Follow).where(where).values(state=state))


@pytest.mark.parametrize(
    "link",
    [(None, PAUSED), (ACCEPTED, None), (ACCEPTED, PENDING)],
    ids=["paused-here", "paused-there", "not-yet-accepted-back"],
)
async def test_a_paused_federation_waits_changing_nothing_else(
    tmp_path: Path, database_kind: str, link: Follows
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        servette = world[NEIGHBOUR]
        servette.serve(collection(page(PAGE_1, create(1))), at=OUTBOX)
        # Given a reading halfway, after a failed attempt, when federation is paused
        await set_reading(world, next_page_uri=PAGE_2, pages_read=1, items_done=3,
                          items_skipped=1, attempts=2, failure="status", last_error="HTTP 503")  # fmt: skip
        await link_becomes(world, *link)
        now = await started(world)

        # When its step comes
        assert await NeighbourBackfill(world.instance).run_once(now) == 0

        # Then nothing is read, and it is read again in a quarter of an hour, as it stood
        assert servette.fetched == []
        assert await queued_ids(world) == []
        assert stands(await reading(world)) == expected(
            next_page_uri=PAGE_2, pages_read=1, items_done=3, items_skipped=1, attempts=2,
            failure="status", last_error="HTTP 503", next_attempt_at=now + timedelta(minutes=15),
        )  # fmt: skip
        # And not before
        assert await NeighbourBackfill(world.instance).run_once(now + timedelta(minutes=14)) == 0
        assert (await reading(world)).next_attempt_at == now + timedelta(minutes=15)


@pytest.mark.parametrize(
    "link",
    [(None, None), (PENDING, None), (None, ACCEPTED), (None, PENDING)],
    ids=["ended", "proposed-again", "only-they-follow-us", "they-ask-again"],
)
async def test_a_federation_ended_meanwhile_fails_the_reading(
    tmp_path: Path, database_kind: str, link: Follows
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        servette = world[NEIGHBOUR]
        servette.serve(collection(page(PAGE_1, create(1))), at=OUTBOX)
        await set_reading(world, attempts=1, failure="timeout", last_error="GET x timed out")
        await link_becomes(world, *link)
        now = await started(world)

        assert await NeighbourBackfill(world.instance).run_once(now) == 1

        assert servette.fetched == []
        assert stands(await reading(world)) == expected(
            state=FAILED, attempts=2, failure="ended", last_error="federation ended",
            next_attempt_at=now + timedelta(minutes=4), finished_at=now,
        )  # fmt: skip


async def test_a_neighbour_blocked_here_is_not_read(tmp_path: Path, database_kind: str) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        servette = world[NEIGHBOUR]
        servette.serve(collection(page(PAGE_1, create(1))), at=OUTBOX)
        async with world.instance.database.transaction() as session:
            await block_domain(session, NEIGHBOUR)
        world.instance.blocks.invalidate()
        now = await started(world)

        assert await NeighbourBackfill(world.instance).run_once(now) == 1

        assert servette.fetched == []
        assert await queued_ids(world) == []
        assert stands(await reading(world)) == expected(
            state=FAILED, attempts=1, failure="blocked", last_error=f"{NEIGHBOUR} is blocked",
            next_attempt_at=now + timedelta(minutes=1), finished_at=now,
        )  # fmt: skip


# --- a neighbour that answers an error -------------------------------------------------------

NOT_JSON = f"{OUTBOX} did not return JSON"


@pytest.mark.parametrize(
    ("answer", "failure", "error"),
    [
        (status(429), "status", "HTTP 429"),
        (status(408), "status", "HTTP 408"),
        (status(500), "status", "HTTP 500"),
        (status(503), "status", "HTTP 503"),
        (slow(5.0), "timeout", f"GET {OUTBOX} timed out"),
        (None, "unreachable", f"GET {OUTBOX}: ConnectError('no instance at {NEIGHBOUR}')"),
    ],
    ids=["429", "408", "500", "503", "timeout", "connection-refused"],
)
async def test_a_passing_failure_is_retried_after_1_4_16_minutes_and_fails_at_the_fourth(
    tmp_path: Path,
    database_kind: str,
    answer: Callable[[], Any] | None,
    failure: str,
    error: str,
) -> None:
    async with neighbourhood(tmp_path, database_kind, fetch_timeout_seconds=0.3) as (
        world,
        front,
    ):
        world[NEIGHBOUR].serve(collection(page(PAGE_1, create(1))), at=OUTBOX)
        if answer is None:
            world.take_down(NEIGHBOUR)
        else:
            front.then(OUTBOX, *[answer] * 4)
        now = await started(world)
        backfill = NeighbourBackfill(world.instance)

        # When the Servette keeps failing, each attempt is put off longer
        for attempt, minutes in enumerate((1, 4, 16), start=1):
            assert await backfill.run_once(now) == 1
            due = now + timedelta(minutes=minutes)
            assert stands(await reading(world)) == expected(
                attempts=attempt, failure=failure, last_error=error, next_attempt_at=due
            )
            assert await backfill.run_once(due - timedelta(microseconds=1)) == 0
            now = due

        # Then the fourth failure ends the reading
        assert await backfill.run_once(now) == 1
        assert stands(await reading(world)) == expected(
            state=FAILED, attempts=4, failure=failure, last_error=error,
            next_attempt_at=now + timedelta(minutes=64), finished_at=now,
        )  # fmt: skip
        assert await backfill.run_once(now + timedelta(days=1)) == 0
        assert await queued_ids(world) == []


async def test_a_neighbour_that_answers_again_is_read_and_its_failure_forgotten(
    tmp_path: Path, database_kind: str
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, front):
        servette = world[NEIGHBOUR]
        servette.serve(collection(PAGE_1), at=OUTBOX)
        servette.serve(page(PAGE_1, create(2), following=PAGE_2), at=PAGE_1)
        servette.serve(page(PAGE_2, create(1)), at=PAGE_2)
        front.then(PAGE_2, status(429), status(503))
        now = await started(world)
        backfill = NeighbourBackfill(world.instance)
        assert await backfill.run_once(now) == 1

        # When the second page answers 429, then 503
        assert await backfill.run_once(now) == 1
        assert await backfill.run_once(now + timedelta(minutes=1)) == 1
        # Then the reading keeps its place between the attempts
        later = now + timedelta(minutes=5)
        assert stands(await reading(world)) == expected(
            next_page_uri=PAGE_2, pages_read=1, items_done=1, attempts=2, failure="status",
            last_error="HTTP 503", next_attempt_at=later,
        )  # fmt: skip

        # When it answers at last, the page is read and the failures forgotten
        assert await backfill.run_once(later) == 1
        assert stands(await reading(world)) == expected(
            state=DONE, pages_read=2, items_done=2, next_attempt_at=later, finished_at=later
        )
        assert servette.fetched.count("/quartier/outbox/page/2") == 3
        assert servette.fetched.count("/quartier/outbox") == 1
        assert await queued_ids(world) == [activity_id(2), activity_id(1)]


@pytest.mark.parametrize(
    ("script", "failure", "error"),
    [
        ({OUTBOX: status(404)}, "status", "HTTP 404"),
        ({OUTBOX: status(410)}, "status", "HTTP 410"),
        ({OUTBOX: status(403)}, "status", "HTTP 403"),
        ({OUTBOX: text("<html>Bienvenue</html>")}, "invalid", NOT_JSON),
        ({OUTBOX: text("[1, 2]")}, "invalid", f"{OUTBOX} did not return a JSON object"),
        ({}, "invalid", f"{OUTBOX} is no collection"),
        (
            {OUTBOX: redirect(f"http://{ELSEWHERE}/outbox")},
            "invalid",
            f"{OUTBOX} led to another server",
        ),
        (
            {PAGE_1: redirect(f"http://{ELSEWHERE}/outbox")},
            "invalid",
            f"{PAGE_1} led to another server",
        ),
    ],
    ids=[
        "404",
        "410",
        "403",
        "not-json",
        "not-an-object",
        "no-collection",
        "outbox-redirected-elsewhere",
        "first-page-redirected-elsewhere",
    ],
)
async def test_a_lasting_failure_ends_the_reading_at_once_with_its_reason(
    tmp_path: Path,
    database_kind: str,
    script: dict[str, Callable[[], Any]],
    failure: str,
    error: str,
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, front):
        servette = world[NEIGHBOUR]
        outbox = collection(PAGE_1) if script else {"id": OUTBOX, "type": "Person"}
        servette.serve(outbox, at=OUTBOX)
        servette.serve(page(PAGE_1, create(1)), at=PAGE_1)
        world[ELSEWHERE].serve(
            page(f"http://{ELSEWHERE}/outbox", create(1)), at=f"http://{ELSEWHERE}/outbox"
        )
        for uri, answer in script.items():
            front.then(uri, answer)
        now = await started(world)

        assert await NeighbourBackfill(world.instance).run_once(now) == 1

        assert await queued_ids(world) == []
        assert stands(await reading(world)) == expected(
            state=FAILED, attempts=1, failure=failure, last_error=error,
            next_attempt_at=now + timedelta(minutes=1), finished_at=now,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("where", "error"),
    [
        ("first", f"{OUTBOX} is no collection"),
        ("outbox", f"http://{ELSEWHERE}/outbox is not on {ORIGIN}"),
        ("next", f"http://{ELSEWHERE}/page/2 is not on {ORIGIN}"),
    ],
)
async def test_a_page_on_another_server_is_not_read(
    tmp_path: Path, database_kind: str, where: str, error: str
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        servette, jonction = world[NEIGHBOUR], world[ELSEWHERE]
        elsewhere = page(f"http://{ELSEWHERE}/outbox", create(1, host=ELSEWHERE))
        jonction.serve(elsewhere, at=f"http://{ELSEWHERE}/outbox")
        jonction.serve(elsewhere, at=f"http://{ELSEWHERE}/page/2")
        servette.serve(collection(f"http://{ELSEWHERE}/outbox"), at=OUTBOX)
        # Given the page to read next, on another server than the Servette's
        if where == "outbox":
            async with world.instance.database.transaction() as session:
                outbox = f"http://{ELSEWHERE}/outbox"
                await session.execute(
                    update(Actor).where(Actor.domain == NEIGHBOUR).values(outbox_uri=outbox)
                )
        if where == "next":
            await set_reading(world, next_page_uri=f"http://{ELSEWHERE}/page/2", pages_read=1)
        now = await started(world)

        assert await NeighbourBackfill(world.instance).run_once(now) == 1

        assert jonction.fetched == []
        assert stands(await reading(world)) == expected(
            state=FAILED, attempts=1, failure="invalid", last_error=error,
            next_page_uri=f"http://{ELSEWHERE}/page/2" if where == "next" else None,
            pages_read=1 if where == "next" else 0,
            next_attempt_at=now + timedelta(minutes=1), finished_at=now,
        )  # fmt: skip


async def test_a_page_too_large_ends_the_reading(tmp_path: Path, database_kind: str) -> None:
    async with neighbourhood(tmp_path, database_kind, max_response_bytes=4000) as (world, _front):
        servette = world[NEIGHBOUR]
        servette.serve(collection(PAGE_1), at=OUTBOX)
        big = page(PAGE_1, *[create(n) for n in range(20)])
        servette.serve(big, at=PAGE_1)
        size = len(json.dumps(big, ensure_ascii=False, separators=(",", ":")).encode())
        now = await started(world)

        assert await NeighbourBackfill(world.instance).run_once(now) == 1

        assert await queued_ids(world) == []
        assert stands(await reading(world)) == expected(
            state=FAILED, attempts=1, failure="too_large",
            last_error=f"declared {size} bytes > 4000",
            next_attempt_at=now + timedelta(minutes=1), finished_at=now,
        )  # fmt: skip


# --- claims: one worker reads a reading at a time --------------------------------------------


class Stopped(BaseException):
    """The worker stops mid-step (its task cancelled, the process ended)."""


async def test_a_reading_under_a_live_lease_waits_for_the_lease_to_end(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        servette = world[NEIGHBOUR]
        servette.serve(collection(page(PAGE_1, create(1))), at=OUTBOX)
        now = await started(world)
        # Given a worker that claimed the reading and stopped before reading anything
        stopping = NeighbourBackfill(world.instance)

        async def stop(*args: object) -> object:
            raise Stopped

        monkeypatch.setattr(stopping, "_fetch", stop)
        with pytest.raises(Stopped):
            await stopping.run_once(now)
        held = await reading(world)
        lease_end = now + timedelta(minutes=2)
        assert (held.state, held.locked_until, held.pages_read) == (QUEUED, lease_end, 0)
        assert held.claim_token is not None and len(held.claim_token) == 24
        assert held.claim_token.startswith(stopping.worker_token)

        # When another worker looks while the lease lasts, it leaves the reading alone
        other = NeighbourBackfill(world.instance)
        assert await other.run_once(lease_end) == 0
        assert stands(await reading(world)) == stands(held)
        assert servette.fetched == []

        # When the lease is over, the other worker reads it
        after = lease_end + timedelta(seconds=1)
        assert await other.run_once(after) == 1
        assert stands(await reading(world)) == expected(
            state=DONE, pages_read=1, items_done=1, next_attempt_at=after, finished_at=after
        )
        assert await queued_ids(world) == [activity_id(1)]


@pytest.mark.parametrize("answer", ["page", "error"])
async def test_a_reading_taken_over_meanwhile_writes_nothing(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, front):
        servette = world[NEIGHBOUR]
        servette.serve(collection(page(PAGE_1, create(1), following=PAGE_2)), at=OUTBOX)
        if answer == "error":
            front.then(OUTBOX, status(503))
        now = await started(world)
        backfill = NeighbourBackfill(world.instance)
        fetch = backfill._fetch
        taken_until = now + timedelta(minutes=10)

        # Given another worker takes the reading over while this one fetches the page
        async def taken_over_while_fetching(uri: str, origin: str) -> dict[str, object]:
            async with world.instance.database.transaction() as session:
                await session.execute(
                    update(Backfill).values(claim_token="autre-lecteur", locked_until=taken_until)
                )
            return await fetch(uri, origin)

        monkeypatch.setattr(backfill, "_fetch", taken_over_while_fetching)

        assert await backfill.run_once(now) == 1

        # Then what this one read or met is not written: the other worker's claim stands
        assert servette.fetched == ["/quartier/outbox"]
        assert await queued_ids(world) == []
        row = await reading(world)
        assert stands(row) == expected(
            next_attempt_at=row.started_at, claim_token="autre-lecteur", locked_until=taken_until
        )


async def test_a_reading_claimed_by_another_worker_just_before_is_left_to_it(
    tmp_path: Path, database_kind: str
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        world[NEIGHBOUR].serve(collection(page(PAGE_1, create(1))), at=OUTBOX)
        database = world.instance.database
        engines = {database.engine.sync_engine, database.write_engine.sync_engine}
        claimed_by_other: list[str] = []

        # Given another worker claims the reading between this worker's look and its claim
        def other_claims_first(conn: Any, cursor: Any, statement: str, *args: object) -> None:
            if statement.startswith("UPDATE backfills SET locked_until") and not claimed_by_other:
                cursor.execute("UPDATE backfills SET claim_token = 'autre-lecteur'")
                claimed_by_other.append(statement)

        for engine in engines:
            event.listen(engine, "before_cursor_execute", other_claims_first)
        try:
            now = await started(world)
            assert await NeighbourBackfill(world.instance).run_once(now) == 0
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", other_claims_first)

        # Then this worker leaves it to the other one
        assert claimed_by_other
        assert world[NEIGHBOUR].fetched == []
        row = await reading(world)
        assert stands(row) == expected(next_attempt_at=row.started_at, claim_token="autre-lecteur")


# --- errors of ours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (RuntimeError("disque plein"), "RuntimeError: disque plein"),
        (ValueError("x" * 1500), ("ValueError: " + "x" * 1500)[:1000]),
    ],
    ids=["short", "long-message-cut"],
)
async def test_an_error_of_ours_is_recorded_and_retried_then_fails_the_reading(
    tmp_path: Path,
    database_kind: str,
    monkeypatch: pytest.MonkeyPatch,
    raised: Exception,
    error: str,
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        world[NEIGHBOUR].serve(collection(page(PAGE_1, create(1))), at=OUTBOX)

        # Given storing the page's activities breaks here
        async def broken(*args: object) -> set[str]:
            raise raised

        monkeypatch.setattr(backfill_module, "insert_new_items", broken)
        now = await started(world)
        backfill = NeighbourBackfill(world.instance)

        for attempt, minutes in enumerate((1, 4, 16), start=1):
            assert await backfill.run_once(now) == 1
            due = now + timedelta(minutes=minutes)
            assert stands(await reading(world)) == expected(
                attempts=attempt, failure="error", last_error=error, next_attempt_at=due
            )
            now = due
        assert await backfill.run_once(now) == 1
        assert stands(await reading(world)) == expected(
            state=FAILED, attempts=4, failure="error", last_error=error,
            next_attempt_at=now + timedelta(minutes=64), finished_at=now,
        )  # fmt: skip
        assert await queued_ids(world) == []


# --- the worker ------------------------------------------------------------------------------


async def test_without_a_federation_client_nothing_is_read(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        world[NEIGHBOUR].serve(collection(page(PAGE_1, create(1))), at=OUTBOX)
        before = stands(await reading(world))
        monkeypatch.setattr(world.instance, "federation", None)

        assert await NeighbourBackfill(world.instance).run_once(await started(world)) == 0

        assert stands(await reading(world)) == before
        assert world[NEIGHBOUR].fetched == []


async def test_a_round_steps_the_earliest_due_readings_a_batch_at_a_time(
    tmp_path: Path, database_kind: str
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        # Given nine more neighbours, no longer federated, their readings due in reverse order
        # of creation, and the Servette's reading due last
        start = await started(world)
        async with world.instance.database.transaction() as session:
            await session.execute(
                update(Backfill).values(next_attempt_at=start + timedelta(hours=1))
            )
            for number in range(9):
                host = f"quartier{number}.test"
                actor = Actor(uri=f"http://{host}/actor", type="Application", username="actor",
                              domain=host, inbox_uri=f"http://{host}/inbox",
                              public_key_id=f"http://{host}/actor#key", public_key_pem="PEM")  # fmt: skip
                session.add(actor)
                await session.flush()
                session.add(Backfill(neighbour_id=actor.id, state=QUEUED, started_at=start,
                                     next_attempt_at=start - timedelta(minutes=number)))  # fmt: skip
        backfill = NeighbourBackfill(world.instance)

        # When rounds are run, each steps eight readings, the earliest due first
        assert await backfill.run_once(start) == 8
        async with world.instance.database.session() as session:
            left = await session.scalars(
                select(Actor.domain).join(Backfill, Backfill.neighbour_id == Actor.id)
                .where(Backfill.state == QUEUED).order_by(Actor.domain)
            )  # fmt: skip
            assert list(left) == ["quartier0.test", NEIGHBOUR]
        assert await backfill.run_once(start) == 1
        assert await backfill.run_once(start) == 0
        assert world[NEIGHBOUR].fetched == []


async def test_the_worker_reads_page_after_page_at_once_then_idles_until_stopped(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        servette = world[NEIGHBOUR]
        servette.serve(collection(page(PAGE_1, create(3), following=PAGE_2)), at=OUTBOX)
        servette.serve(page(PAGE_2, create(2), following=f"{ORIGIN}/p/3"), at=PAGE_2)
        servette.serve(page(f"{ORIGIN}/p/3", create(1)), at=f"{ORIGIN}/p/3")
        backfill = NeighbourBackfill(world.instance)
        step, rounds, idle = backfill.run_once, list[int](), asyncio.Event()

        async def counted(now: datetime | None = None) -> int:
            stepped = await step(now)
            rounds.append(stepped)
            if not stepped:
                idle.set()
            return stepped

        monkeypatch.setattr(backfill, "run_once", counted)
        stop = asyncio.Event()
        worker = asyncio.create_task(backfill.run_forever(stop, idle_seconds=60))

        # When it runs, the three pages are read one round after the other, without idling
        async with asyncio.timeout(10):
            await idle.wait()
        assert rounds == [1, 1, 1, 0]
        assert (await reading(world)).state == DONE
        # And once nothing is left, it idles until it is stopped
        await asyncio.sleep(0.05)
        assert rounds == [1, 1, 1, 0]
        assert not worker.done()
        stop.set()
        async with asyncio.timeout(5):
            await worker


async def test_the_worker_goes_on_after_a_failed_round(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        backfill = NeighbourBackfill(world.instance)
        rounds: list[datetime | None] = []
        stop = asyncio.Event()

        # Given a first round that breaks (the database away for a moment)
        async def failing_round(now: datetime | None = None) -> int:
            rounds.append(now)
            if len(rounds) == 3:
                stop.set()
            if len(rounds) == 1:
                raise RuntimeError("base de données indisponible")
            return 1

        monkeypatch.setattr(backfill, "run_once", failing_round)
        worker = asyncio.create_task(backfill.run_forever(stop, idle_seconds=0.01))
        # Then the worker goes on with the next rounds, at the time of each, until stopped
        async with asyncio.timeout(5):
            await worker
        assert rounds == [None, None, None]
