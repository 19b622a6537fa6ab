"""One row the database refuses must not fail the other rows of its batch.

A batch that fails is written again row by row: every good row is committed and answered as
usual (new, or a duplicate), and only the bad row's request gets the database's error.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from inbox.store import GroupCommit
from storage.database import Database
from storage.models import InboxItem
from tests.inbox.test_group_commit import row


def refused_row(uri: str) -> dict[str, Any]:
    """A row no database takes: an activity without an actor (NOT NULL)."""
    return {**row(uri), "actor_uri": None}


async def stored_uris(database: Database) -> list[str]:
    async with database.session() as session:
        return sorted((await session.scalars(select(InboxItem.activity_uri))).all())


async def test_a_refused_row_fails_alone_and_its_batch_is_written_row_by_row(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    writer = GroupCommit(database, writers=1)
    good = [f"http://remote.test/{n}" for n in range(5)]
    # Given one batch: five good rows, a duplicate of the first, and a row the database refuses
    rows = [row(good[0]), refused_row("http://remote.test/bad"), row(good[0]), *map(row, good[1:])]
    # When they are inserted together
    with caplog.at_level(logging.WARNING, logger="inbox.store"):
        results = await asyncio.gather(*(writer.insert(r) for r in rows), return_exceptions=True)
    # Then they went as one batch, which failed and was written again row by row
    assert any("retrying row by row" in message for message in caplog.messages)
    # And only the refused row failed, with the database's error; the duplicate is answered False
    assert isinstance(results[1], IntegrityError)
    assert results[0] is True and results[2] is False and results[3:] == [True] * 4
    assert await stored_uris(database) == good


async def test_a_refused_row_alone_fails_and_the_writer_goes_on(database: Database) -> None:
    writer = GroupCommit(database, writers=1)
    # When a batch of one refused row is inserted
    with pytest.raises(RuntimeError, match="insert failed"):
        await writer.insert(refused_row("http://remote.test/bad"))
    # Then nothing is stored, and the next row is written as usual
    assert await stored_uris(database) == []
    assert await writer.insert(row("http://remote.test/next")) is True
    assert await stored_uris(database) == ["http://remote.test/next"]
