"""Reading one page of a neighbour's quartier outbox: what is taken, what is skipped, where the
reading goes next and where it stops."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from federation.errors import BadResponse, ConnectionFailed, FetchTimeout, PrivateAddressError
from inbox.backfill import classify
from inbox.backfill_pages import first_page_of, read_page

ORIGIN = "https://paquis.example"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def create(serial: int, *, days_ago: float = 0, host: str = "paquis.example") -> dict[str, Any]:
    published = (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": f"https://{host}/activities/{serial}", "type": "Create",
        "actor": "https://paquis.example/@cafe", "published": published,
        "object": {"id": f"https://{host}/posts/{serial}", "type": "Note", "content": "x"},
    }  # fmt: skip


def page(*items: object, following: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"type": "OrderedCollectionPage", "orderedItems": list(items)}
    if following:
        document["next"] = following
    return document


def test_a_page_gives_its_authentic_activities_and_its_next_page() -> None:
    document = page(
        create(1), "https://paquis.example/activities/9", create(2, host="jonction.example"),
        {"id": "https://paquis.example/activities/3", "type": "Like",
         "actor": "https://paquis.example/@cafe", "object": "https://paquis.example/posts/1"},
        following=f"{ORIGIN}/actor/outbox?before=3",
    )  # fmt: skip
    read = read_page(document, ORIGIN, since=NOW - timedelta(days=30), room=100)
    assert [activity.id for activity, _payload in read.taken] == [f"{ORIGIN}/activities/1"]
    assert read.skipped == 2  # a bare id, and an activity of another server
    assert read.next_uri == f"{ORIGIN}/actor/outbox?before=3"
    assert not read.bound_reached


def test_the_reading_stops_at_its_age_and_count_bounds() -> None:
    old = page(create(1), create(2, days_ago=31), create(3), following=f"{ORIGIN}/next")
    by_age = read_page(old, ORIGIN, since=NOW - timedelta(days=30), room=100)
    assert [activity.id for activity, _ in by_age.taken] == [f"{ORIGIN}/activities/1"]
    assert by_age.bound_reached
    by_count = read_page(page(create(1), create(2), create(3)), ORIGIN, since=NOW, room=2)
    assert len(by_count.taken) == 2 and by_count.bound_reached


def test_a_next_page_on_another_server_is_not_followed() -> None:
    read = read_page(page(create(1), following="https://ailleurs.example/page/2"), ORIGIN,
                     since=NOW - timedelta(days=1), room=10)  # fmt: skip
    assert read.next_uri is None


def test_the_first_page_is_a_link_on_the_origin_an_embedded_page_or_the_collection() -> None:
    collection = {"type": "OrderedCollection", "totalItems": 3}
    assert (
        first_page_of(collection | {"first": f"{ORIGIN}/o?page=1"}, ORIGIN) == f"{ORIGIN}/o?page=1"
    )
    assert first_page_of(collection | {"first": "https://ailleurs.example/o"}, ORIGIN) is None
    embedded = page(create(1))
    assert first_page_of(collection | {"first": embedded}, ORIGIN) == embedded
    small = collection | {"orderedItems": []}
    assert first_page_of(small, ORIGIN) == small
    assert first_page_of({"type": "Person"}, ORIGIN) is None


def test_the_failures_of_a_neighbour_are_classified() -> None:
    cases = [
        (BadResponse(503), ("status", True)), (BadResponse(429), ("status", True)),
        (BadResponse(404), ("status", False)), (BadResponse(410), ("status", False)),
        (FetchTimeout("GET x timed out"), ("timeout", True)),
        (ConnectionFailed("refused"), ("unreachable", True)),
        (PrivateAddressError("10.0.0.1"), ("unreachable", False)),
    ]  # fmt: skip
    for error, expected in cases:
        failure = classify(error)
        assert (failure.failure, failure.retry) == expected, error


def test_an_unordered_collection_is_read_like_an_ordered_one() -> None:
    collection = {"type": "Collection", "items": [create(1), create(2)]}
    assert first_page_of(collection, ORIGIN) is collection
    read = read_page({"type": "CollectionPage", "items": [create(1), create(2)]}, ORIGIN,
                     since=NOW - timedelta(days=1), room=10)  # fmt: skip
    assert [activity.id for activity, _ in read.taken] == [
        f"{ORIGIN}/activities/1", f"{ORIGIN}/activities/2"]  # fmt: skip


def test_items_of_what_is_no_collection_are_not_read() -> None:
    assert first_page_of({"type": "Note", "orderedItems": [create(1)]}, ORIGIN) is None
    assert first_page_of({"orderedItems": [create(1)]}, ORIGIN) is None


def test_an_activity_is_handed_on_as_served_with_its_accents() -> None:
    activity = create(1)
    activity["object"]["content"] = "Café réparation"
    [(_parsed, payload)] = read_page(page(activity), ORIGIN, since=NOW - timedelta(days=1),
                                     room=10).taken  # fmt: skip
    assert "Café réparation" in payload
    assert json.loads(payload) == activity


def test_addresses_up_to_the_longest_we_keep_are_taken() -> None:
    def at_length(prefix: str, length: int) -> str:
        return prefix + "a" * (length - len(prefix))

    longest, too_long = at_length(f"{ORIGIN}/activities/", 2048), at_length(f"{ORIGIN}/a/", 2049)
    kept = {**create(1), "id": longest, "actor": at_length(f"{ORIGIN}/@", 2048)}
    dropped = [
        {**create(2), "id": too_long},
        {**create(3), "actor": at_length(f"{ORIGIN}/@", 2049)},
    ]
    following = at_length(f"{ORIGIN}/outbox?page=", 2048)
    read = read_page(page(kept, *dropped, following=following), ORIGIN,
                     since=NOW - timedelta(days=1), room=10)  # fmt: skip
    assert [activity.id for activity, _ in read.taken] == [longest]
    assert read.skipped == 2 and read.next_uri == following
    beyond = read_page(page(create(4), following=following + "b"), ORIGIN,
                       since=NOW - timedelta(days=1), room=10)  # fmt: skip
    assert beyond.next_uri is None
