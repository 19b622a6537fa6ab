"""Who reads a neighbour quartier's past: one worker at a time under a lease, a reading taken
over meanwhile writing nothing, an error of ours retried then failing the reading, and the
worker's rounds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

import inbox.backfill as backfill_module
from inbox.backfill import NeighbourBackfill
from storage.models import Actor, Backfill
from storage.models.queue import DONE, FAILED, QUEUED
from tests.inbox.fediverse import Fediverse
from tests.inbox.neighbour_outbox import (
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
    set_reading,
    stands,
    started,
    status,
)
from tests.support import SETTLE_TIMEOUT, wait_until

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


async def add_reading(world: Fediverse, number: int, start: datetime, due: datetime) -> None:
    """The reading of ``quartier<number>.test``, a neighbour no longer federated (its step
    ends it at once, without a fetch)."""
    host = f"quartier{number}.test"
    async with world.instance.database.transaction() as session:
        actor = Actor(uri=f"http://{host}/actor", type="Application", username="actor",
                      domain=host, inbox_uri=f"http://{host}/inbox",
                      public_key_id=f"http://{host}/actor#key", public_key_pem="PEM")  # fmt: skip
        session.add(actor)
        await session.flush()
        session.add(Backfill(neighbour_id=actor.id, state=QUEUED, started_at=start,
                             next_attempt_at=due))  # fmt: skip


async def the_servette_then_quartier0(world: Fediverse) -> datetime:
    """The Servette's outbox of one page, and Quartier 0's reading due just after the
    Servette's: the moment both are due."""
    world[NEIGHBOUR].serve(collection(page(PAGE_1, create(1))), at=OUTBOX)
    start = await started(world)
    await add_reading(world, 0, start, due=start)
    return start


def three_minutes_into_the_fetch(
    backfill: NeighbourBackfill,
    monkeypatch: pytest.MonkeyPatch,
    meanwhile: Callable[[], Awaitable[object]],
) -> None:
    """The Servette's page takes three minutes of the round's clock (longer than a lease),
    and ``meanwhile`` runs while it is fetched."""
    elapsed = [0.0]
    backfill.clock = lambda: elapsed[0]
    fetch = backfill._fetch

    async def slow_fetch(uri: str, origin: str) -> dict[str, object]:
        elapsed[0] += 180.0
        await meanwhile()
        return await fetch(uri, origin)

    monkeypatch.setattr(backfill, "_fetch", slow_fetch)


async def test_a_reading_waiting_its_turn_keeps_its_lease_through_a_long_round(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        # Given a round that claims the Servette's reading, then Quartier 0's, and whose
        # fetch of the Servette's page lasts three minutes
        start = await the_servette_then_quartier0(world)
        backfill = NeighbourBackfill(world.instance)
        three_minutes_into_the_fetch(backfill, monkeypatch, meanwhile=lambda: asyncio.sleep(0))
        rival = NeighbourBackfill(world.instance)
        link = backfill._link
        seen: dict[str, object] = {}

        async def look_when_its_turn_comes(neighbour: Actor) -> object:
            if neighbour.domain == "quartier0.test":
                async with world.instance.database.session() as session:
                    seen["lease"] = await session.scalar(
                        select(Backfill.locked_until).where(Backfill.neighbour_id == neighbour.id)
                    )
                seen["rival"] = await rival.run_once(start + timedelta(minutes=3))
            return await link(neighbour)

        monkeypatch.setattr(backfill, "_link", look_when_its_turn_comes)

        # When the round steps both
        assert await backfill.run_once(start) == 2

        # Then at Quartier 0's turn, its lease runs two minutes from that turn, and a rival
        # looking then finds nothing to read
        assert seen == {"lease": start + timedelta(minutes=5), "rival": 0}
        assert world[NEIGHBOUR].fetched == ["/quartier/outbox"]


async def test_a_reading_taken_over_before_its_turn_is_left_to_its_new_reader(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        # Given a round that claims the Servette's reading, then Quartier 0's, and another
        # worker that takes Quartier 0's over while the Servette's page is fetched
        start = await the_servette_then_quartier0(world)
        taken_until = start + timedelta(minutes=10)
        quartier0 = select(Actor.id).where(Actor.domain == "quartier0.test")

        async def taken_over() -> None:
            async with world.instance.database.transaction() as session:
                await session.execute(
                    update(Backfill)
                    .where(Backfill.neighbour_id.in_(quartier0))
                    .values(claim_token="autre-lecteur", locked_until=taken_until)
                )

        backfill = NeighbourBackfill(world.instance)
        three_minutes_into_the_fetch(backfill, monkeypatch, meanwhile=taken_over)

        # When the round goes on, it steps the Servette's reading only
        assert await backfill.run_once(start) == 1

        # Then Quartier 0's reading is left as the other worker holds it
        assert world[NEIGHBOUR].fetched == ["/quartier/outbox"]
        async with world.instance.database.session() as session:
            readings = await session.execute(
                select(Actor.domain, Backfill.state, Backfill.claim_token, Backfill.locked_until)
                .join(Backfill, Backfill.neighbour_id == Actor.id).order_by(Actor.domain)
            )  # fmt: skip
            assert list(readings) == [
                ("quartier0.test", QUEUED, "autre-lecteur", taken_until),
                (NEIGHBOUR, DONE, None, None),
            ]


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
        await set_reading(world, next_attempt_at=start + timedelta(hours=1))
        for number in range(9):
            await add_reading(world, number, start, due=start - timedelta(minutes=number))
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
        async with asyncio.timeout(SETTLE_TIMEOUT):
            await idle.wait()
        assert rounds == [1, 1, 1, 0]
        assert (await reading(world)).state == DONE
        # And once nothing is left, it idles until it is stopped
        await asyncio.sleep(0.05)
        assert rounds == [1, 1, 1, 0]
        assert not worker.done()
        stop.set()
        async with asyncio.timeout(SETTLE_TIMEOUT):
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
        async with asyncio.timeout(SETTLE_TIMEOUT):
            await worker
        assert rounds == [None, None, None]


async def test_after_a_failed_round_the_worker_waits_before_the_next(
    tmp_path: Path, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        backfill = NeighbourBackfill(world.instance)
        rounds: list[datetime | None] = []

        # Given rounds that keep breaking (the database away for a while)
        async def failing_round(now: datetime | None = None) -> int:
            rounds.append(now)
            await asyncio.sleep(0)
            raise RuntimeError("base de données indisponible")

        monkeypatch.setattr(backfill, "run_once", failing_round)
        stop = asyncio.Event()
        worker = asyncio.create_task(backfill.run_forever(stop, idle_seconds=60))

        # Then after the first, it waits its idle time: a broken database is not hammered
        async def first_round_over() -> bool:
            return len(rounds) >= 1

        await wait_until(first_round_over, "the first round")
        await asyncio.sleep(0.1)
        assert rounds == [None]
        stop.set()
        async with asyncio.timeout(SETTLE_TIMEOUT):
            await worker
