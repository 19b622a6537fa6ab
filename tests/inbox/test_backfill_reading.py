"""Reading a federated neighbour quartier's recent past, one server here and the neighbour
scripted: its outbox read page after page into the inbox queue, within the bounds of what is
read, and waiting while federation is paused or ended."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update

import inbox.backfill as backfill_module
from actors.quartier_federation import instance_actor_of
from inbox.backfill import NeighbourBackfill
from inbox.backfill_pages import PageRead, read_page
from storage.blocks import block_domain
from storage.models import Actor, Follow, InboxItem
from storage.models.follows import ACCEPTED, PAUSED, PENDING
from storage.models.queue import DONE, FAILED, QUEUED
from tests.inbox.fediverse import Fediverse
from tests.inbox.neighbour_outbox import (
    CAFE,
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
    stands,
    started,
)

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


async def test_a_neighbour_that_answers_signed_requests_only_is_read_with_our_signature(
    tmp_path: Path, database_kind: str
) -> None:
    async with neighbourhood(tmp_path, database_kind) as (world, _front):
        # Given the Servette, whose server answers signed requests only (Mastodon's secure mode)
        servette = world[NEIGHBOUR]
        servette.signed_only = True
        servette.serve(collection(PAGE_1), at=OUTBOX)
        servette.serve(page(PAGE_1, create(1)), at=PAGE_1)

        # When a step is taken
        assert await NeighbourBackfill(world.instance).run_once(await started(world)) == 1

        # Then its outbox was read, signed by us
        assert await queued_ids(world) == [activity_id(1)]


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
