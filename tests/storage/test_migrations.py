"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, select

from storage import migrate
from storage.database import Database
from storage.models import Base, DomainBlock


def schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_the_migrated_schema_is_the_models_schema(database: Database) -> None:
    # Given a database upgraded to head (by the fixture)
    # When alembic compares it with the models, types and server defaults included
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(schema_differences)

    # Then there is nothing a new migration would have to do
    assert differences == []


async def test_the_database_is_at_the_head_revision(database: Database) -> None:
    # Given a database upgraded by the fixture
    # Then its revision is the newest one the code knows
    head = migrate.head_revision()
    assert head is not None
    assert await migrate.current_revision(database) == head


async def test_upgrading_again_changes_nothing_and_keeps_rows(database: Database) -> None:
    # Given a migrated database with a row
    async with database.transaction() as session:
        session.add(DomainBlock(domain="spam.example", reason="spam"))

    # When it is upgraded again
    await migrate.upgrade(database)

    # Then the revision and the row are unchanged
    assert await migrate.current_revision(database) == migrate.head_revision()
    async with database.session() as session:
        blocks = (await session.scalars(select(DomainBlock))).all()
    assert [(block.domain, block.reason) for block in blocks] == [("spam.example", "spam")]
    async with database.engine.connect() as connection:
        assert await connection.run_sync(schema_differences) == []


async def test_every_model_table_exists_and_starts_empty(database: Database) -> None:
    # Given a freshly migrated database
    # Then every table of the models can be queried, and none holds a row
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            count = await session.scalar(select(func.count()).select_from(table))
            assert count == 0, table.name


async def test_upgrading_an_older_schema_keeps_every_row(
    database_kind: str, tmp_path: Path
) -> None:
    """Altering a table on SQLite copies it; the copy must not cascade-delete its children."""
    from sqlalchemy import text

    from tests.support import fresh_database_at

    async with fresh_database_at(database_kind, tmp_path, "0001") as database:
        # Given a database at the first schema with an actor, a post and a membership
        async with database.write_engine.begin() as connection:
            for statement in FIRST_SCHEMA_ROWS:
                await connection.execute(text(statement))
        # When it is upgraded to the current schema
        await migrate.upgrade(database)
        # Then every row is still there
        async with database.engine.connect() as connection:
            for table, expected in (
                ("actors", 2),
                ("posts", 1),
                ("memberships", 1),
                ("activities", 1),
            ):
                count = (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                assert count == expected, table


FIRST_SCHEMA_ROWS = [
    "INSERT INTO actors (id, uri, type, username, domain, is_local, name, summary, inbox_uri,"
    " public_key_id, public_key_pem, manually_approves_followers, is_gone, created_at, updated_at)"
    " VALUES (1, 'http://p.test/@a', 'Person', 'a', 'p.test', true, 'A', '', 'http://p.test/@a/inbox',"
    " 'k1', 'pem', false, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO actors (id, uri, type, username, domain, is_local, name, summary, inbox_uri,"
    " public_key_id, public_key_pem, manually_approves_followers, is_gone, created_at, updated_at)"
    " VALUES (2, 'http://p.test/@g', 'Group', 'g', 'p.test', true, 'G', '', 'http://p.test/@g/inbox',"
    " 'k2', 'pem', false, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO memberships (id, group_id, member_id, role, created_at)"
    " VALUES (1, 2, 1, 'admin', '2026-01-01 00:00:00')",
    "INSERT INTO posts (id, uri, type, actor_id, is_local, content_html, visibility, is_sensitive,"
    " published) VALUES (1, 'http://p.test/posts/1', 'Note', 1, true, '<p>x</p>', 'public', false,"
    " '2026-01-01 00:00:00')",
    "INSERT INTO activities (id, uri, type, actor_id, is_public, payload, published)"
    " VALUES (1, 'http://p.test/activities/1', 'Create', 1, true, '{}', '2026-01-01 00:00:00')",
]
