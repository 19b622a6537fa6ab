"""A column among a remote server's list of values, short or longer than a statement can bind
one by one (PostgreSQL's driver takes at most 32,767 parameters)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.among import BOUND_ONE_BY_ONE, among
from storage.database import Database
from storage.models import Actor

HOST = "https://mastodon.test"


async def add_actors(database: Database, count: int) -> None:
    async with database.transaction() as session:
        session.add_all(
            Actor(uri=f"{HOST}/users/u{n}", type="Person", username=f"u{n}",
                  domain="mastodon.test", is_local=False, inbox_uri=f"{HOST}/users/u{n}/inbox",
                  public_key_id=f"{HOST}/users/u{n}#main-key", public_key_pem="")
            for n in range(count)
        )  # fmt: skip


@pytest.mark.parametrize("listed", [0, 3, BOUND_ONE_BY_ONE, BOUND_ONE_BY_ONE + 1, 40_000])
async def test_the_rows_among_a_list_of_any_length_are_found(
    database: Database, listed: int
) -> None:
    await add_actors(database, 5)
    # The list names u1 and u3 (twice), and strangers past them
    values = ["https://mastodon.test/users/u1", "https://mastodon.test/users/u3"]
    values += [f"https://elsewhere.test/users/{n}" for n in range(max(listed - 3, 0))]
    values = values[:listed] + (["https://mastodon.test/users/u3"] if listed else [])

    async with database.session() as session:
        found = await session.scalars(
            select(Actor.username).where(among(Actor.uri, values)).order_by(Actor.username)
        )
        assert list(found) == (["u1", "u3"] if listed > 1 else ["u1", "u3"][:listed])


async def test_a_statement_run_again_with_another_long_list_finds_that_lists_rows(
    database: Database,
) -> None:
    # Given one statement, compiled once and then taken from the cache with new values
    await add_actors(database, 5)
    strangers = [f"https://elsewhere.test/users/{n}" for n in range(BOUND_ONE_BY_ONE)]

    async def named(*usernames: str) -> list[str]:
        values = [*strangers, *(f"{HOST}/users/{name}" for name in usernames)]
        async with database.session() as session:
            found = await session.scalars(
                select(Actor.username).where(among(Actor.uri, values)).order_by(Actor.username)
            )
            return list(found)

    # Then each run finds the rows of its own list
    assert await named("u0", "u4") == ["u0", "u4"]
    assert await named("u2") == ["u2"]
    assert await named() == []
