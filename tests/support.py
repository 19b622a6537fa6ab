"""Shared test helpers: settings for a test instance, databases on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from config.settings import (
    DatabaseSettings,
    FederationSettings,
    ServerSettings,
    Settings,
    WebUISettings,
)
from storage import migrate
from storage.database import Database
from tests.database_templates import (
    copy_sqlite_template,
    give_back_postgres_schema,
    take_postgres_schema,
)
from tests.mutation_order import under_mutation

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
POSTGRES_URL_ENV = "QUARTIERS_TEST_DATABASE_URL"
# How long a test waits for workers to settle: only a broken run comes near it.
SETTLE_TIMEOUT = 60.0
# Against a mutant (`make mutate`): what the suite waits for comes within a second or two, so a
# mutant that stalls the work is told apart long before the suite's bound.
MUTANT_SETTLE_TIMEOUT = 10.0
TEST_SECRET = "test-secret-key-" + "x" * 40


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


def make_settings(
    domain: str = "paquis.test",
    *,
    database_url: str = "sqlite+aiosqlite:///:memory:",
    name: str | None = None,
    server: Mapping[str, Any] | None = None,
    **federation: Any,
) -> Settings:
    """``server``: more of the server's settings (its description, its area…)."""
    return Settings(
        server=ServerSettings(
            name=name or f"Quartier {domain.split('.')[0].title()}",
            domain=domain,
            scheme="http",
            **(server or {}),
        ),
        database=DatabaseSettings(url=database_url),
        federation=replace(FederationSettings(allow_private_addresses=True), **federation),
        webui=WebUISettings(secret_key=TEST_SECRET),
    )


@asynccontextmanager
async def fresh_database(kind: str, tmp_path: Path, label: str = "db") -> AsyncIterator[Database]:
    """A migrated, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    async with fresh_database_at(kind, tmp_path, "head", label) as database:
        yield database


@asynccontextmanager
async def fresh_database_at(
    kind: str, tmp_path: Path, revision: str, label: str = "db"
) -> AsyncIterator[Database]:
    """An empty database migrated up to ``revision`` (at the head, a copy of one made once)."""
    if kind == "sqlite":
        path = tmp_path / f"{label}.sqlite"
        if revision == "head":
            await copy_sqlite_template(path)
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            if revision != "head":
                await migrate.upgrade(database, revision)
            yield database
        finally:
            await database.dispose()
        return
    url = postgres_url()
    assert url is not None
    if revision == "head":
        schema = await take_postgres_schema(url, label)
        database = Database(url, schema=schema)
        try:
            yield database
        finally:
            await database.dispose()
            await give_back_postgres_schema(url, schema)
        return
    schema = f"t_{label}_{secrets.token_hex(6)}"
    admin = create_async_engine(url)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(url, schema=schema)
    try:
        await migrate.upgrade(database, revision)
        yield database
    finally:
        await database.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def wait_until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``condition`` until true; the bound only keeps a broken run from hanging."""
    try:
        async with asyncio.timeout(MUTANT_SETTLE_TIMEOUT if under_mutation() else SETTLE_TIMEOUT):
            while not await condition():  # noqa: ASYNC110 (the state is in the database)
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"never true: {what}") from None
