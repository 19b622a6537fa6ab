"""Alembic migrations, run from inside the application (no alembic.ini needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from storage.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Advancing(Protocol):
    def advance(self, count: int = 1) -> None: ...
    def finish(self) -> None: ...


ProgressFactory = Callable[[str, int], Advancing]
"""``(label, total)`` → something advanced per batch; a long migration finds it in
``config.attributes["progress"]`` (a migration imports nothing of the application)."""


def alembic_config(
    connection: Connection | None = None, progress: ProgressFactory | None = None
) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    if progress is not None:
        config.attributes["progress"] = progress
    return config


async def upgrade(
    database: Database, revision: str = "head", *, progress: ProgressFactory | None = None
) -> None:
    """Upgrade the schema; a long backfill reports its batches to ``progress`` if given.

    On SQLite, altering a table means copying it and dropping the old one; with foreign keys on,
    that drop would cascade-delete every row pointing at it. So SQLite migrations run on their
    own connection with foreign keys off (SQLite's default), and are checked afterwards.
    """
    engine = (
        create_async_engine(database.url, poolclass=NullPool)
        if database.is_sqlite
        else database.write_engine
    )
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync: command.upgrade(alembic_config(sync, progress), revision)
            )
            if database.is_sqlite:
                problems = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if problems:
                    raise RuntimeError(f"foreign keys broken by the migration: {problems[:5]}")
    finally:
        if engine is not database.write_engine:
            await engine.dispose()


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
