"""A serving process sets what it built at startup apart from the full garbage collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from quartiers.long_lived import freeze_startup_objects


@pytest.fixture
def unfrozen_afterwards() -> Iterator[None]:
    yield
    gc.unfreeze()


def walked_by_full_collections(thing: object) -> bool:
    return any(candidate is thing for candidate in gc.get_objects(generation=2))


@pytest.mark.usefixtures("unfrozen_afterwards")
def test_what_exists_at_startup_is_no_longer_walked_by_full_collections() -> None:
    # Given an object built at startup, still alive after a full collection
    built_at_startup = {"catalog": ["fr", "en"]}
    gc.collect()
    assert walked_by_full_collections(built_at_startup)
    # When the serving process freezes what it built
    assert freeze_startup_objects() > 0
    # Then full collections no longer walk it
    assert not walked_by_full_collections(built_at_startup)
    # And what is built afterwards is walked and collected as before
    built_later = ["request", ["lines"]]
    gc.collect()
    assert walked_by_full_collections(built_later)
