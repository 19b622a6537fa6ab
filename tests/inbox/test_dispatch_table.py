"""The inbox's dispatch table: every activity type we act on has its handlers, and what no
handler takes (an unknown pair of activity and object kind, or a type we do not act on) is
accepted and ignored with its reason, never retried and never an error."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from federation.parsing import parse_activity
from inbox import registry
from inbox.context import InboxContext
from inbox.dispatch import ACCEPTED_TYPES, dispatch, handler_for
from inbox.kinds import ObjectKind
from inbox.registry import HANDLERS
from storage.models import Reaction
from storage.models.queue import DONE
from tests.inbox.fediverse import activity, fediverse, note


def test_every_activity_type_we_accept_has_a_handler_and_no_handler_is_orphaned() -> None:
    # Given the table filled by the handler modules
    registered_types = {activity_type for activity_type, _kind in HANDLERS}
    # Then each accepted type has at least one handler, and every handler is of an accepted type
    assert registered_types == ACCEPTED_TYPES
    # And the kinds the classifier answers for "what is it about" are the ones handled
    assert ("Create", ObjectKind.REMOTE_NOTE) in HANDLERS
    assert ("Create", ObjectKind.REMOTE_EVENT) in HANDLERS
    assert ("Join", ObjectKind.OUR_GROUP) in HANDLERS
    assert ("Join", ObjectKind.OUR_DATE) in HANDLERS
    assert ("Update", ObjectKind.ACTOR) in HANDLERS
    # And nothing handles "nothing we know"
    assert not any(kind == ObjectKind.NOTHING for _type, kind in HANDLERS)


def test_a_second_handler_for_one_pair_is_refused_when_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a table of its own, with a handler for Flags of one of our posts
    monkeypatch.setattr("inbox.registry.HANDLERS", {})

    async def first(*_: Any) -> None: ...

    async def second(*_: Any) -> None: ...

    registry.handles("Flag", ObjectKind.KNOWN_POST, ObjectKind.REPORTED)(first)
    assert {("Flag", ObjectKind.KNOWN_POST): first,
                                 ("Flag", ObjectKind.REPORTED): first} == registry.HANDLERS  # fmt: skip
    # When another handler is registered for one of its pairs, the module does not load
    with pytest.raises(
        RuntimeError, match=r"^two handlers for Flag of something of ours, reported$"
    ):
        registry.handles("Flag", ObjectKind.REPORTED)(second)
    assert registry.HANDLERS[("Flag", ObjectKind.REPORTED)] is first


def test_an_unknown_pair_has_no_handler() -> None:
    assert handler_for("Like", ObjectKind.OUR_GROUP) is None
    assert handler_for("Move", ObjectKind.ACTOR) is None


async def test_what_no_handler_takes_is_ignored_with_a_reason_and_never_retried(
    tmp_path: Path, database_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        # Given a Like of a post we do not know, a Join of an id that is none of ours, and a
        # Move (a type we do not act on), all correctly signed
        unknown_like = activity("Like", alice, f"{alice}/statuses/404", 1)
        unknown_join = activity("Join", alice, f"{alice}/groups/nowhere", 2)
        move = activity("Move", alice, alice, 3)
        for document in (unknown_like, unknown_join, move):
            assert (await world.post_as(alice, document)).status_code == 202
        # When the inbox worker handles them
        with caplog.at_level(logging.INFO, logger="inbox.dispatch"):
            assert await world.handle() == 3
        # Then each is done (not queued for a retry, not failed) and nothing was written
        items = await world.inbox_items()
        assert [item.state for item in items] == [DONE, DONE, DONE]
        assert [item.last_error for item in items] == [None, None, None]
        assert await world.count(Reaction) == 0
        # And each was logged with why it was ignored
        ignored = [message for message in caplog.messages if "ignored" in message]
        assert any("unknown post" in message for message in ignored)
        assert any("none of our collectives" in message for message in ignored)
        assert any("Move" in message for message in ignored)


async def test_a_create_of_a_note_is_classified_and_applied_in_one_transaction(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        # Given alice's Create of a public Note, received and stored, her actor known
        created = activity("Create", alice, note(alice, 1, "Vide-grenier dimanche"), 1)
        assert (await world.post_as(alice, created)).status_code == 202
        instance = world.instance
        (item,) = await world.inbox_items()
        sender = await instance.remote_actors.actor(alice)
        assert sender is not None
        database = instance.database
        begun: list[str] = []

        def count(connection: Any) -> None:
            begun.append(str(connection.engine.url))

        engines = {database.engine.sync_engine, database.write_engine.sync_engine}
        for engine in engines:
            event.listen(engine, "begin", count)
        # When it is dispatched
        try:
            context = InboxContext(instance, parse_activity(json.loads(item.payload)), sender, None)
            await dispatch(context)
        finally:
            for engine in engines:
                event.remove(engine, "begin", count)
        # Then the post is kept, and the database saw one transaction for it, no more
        assert await world.post(created["object"]["id"]) is not None
        assert len(begun) == 1, begun
