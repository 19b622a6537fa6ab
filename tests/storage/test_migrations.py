"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL alike."""

from __future__ import annotations

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
