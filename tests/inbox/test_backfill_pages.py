"""Reading one page of a neighbour's quartier outbox: what is taken, what is skipped, where the
reading goes next and where it stops."""

from __future__ import annotations

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
