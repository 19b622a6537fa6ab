"""A federated neighbour quartier whose outbox answers an error while its past is read: a
passing failure retried, a lasting one ending the reading at once, each with the reason an
admin reads; pages on another server or too large are not read."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from inbox.backfill import NeighbourBackfill
from storage.models import Actor
from storage.models.queue import DONE, FAILED
from tests.inbox.neighbour_outbox import (
    ELSEWHERE,
    NEIGHBOUR,
    ORIGIN,
    OUTBOX,
    PAGE_1,
    PAGE_2,
    activity_id,
    collection,
    create,
    expected,
    neighbourhood,
    page,
    queued_ids,
    reading,
    redirect,
    set_reading,
    slow,
    stands,
    started,
    status,
    text,
)

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
    # Only the timeout's case needs a short bound (the slow answer takes 5 s): the others keep
    # a wide one, which the first signed fetches of a loaded machine stay well within
    bound = 1.0 if failure == "timeout" else 10.0
    async with neighbourhood(tmp_path, database_kind, fetch_timeout_seconds=bound) as (
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
