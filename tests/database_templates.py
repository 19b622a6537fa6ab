"""Migrated, empty databases made once per test process and copied for each test.

Running every migration takes most of a second on each engine, and nearly every test (three
times over for a federation rig) starts from an empty database at the head revision. So each
process migrates one database per engine, once, and each test gets a copy of it:

- SQLite: the migrated file is copied (a few milliseconds);
- PostgreSQL: the migrated schema is dumped once with ``pg_dump``, and the dump is replayed
  into each new schema. Replaying and dropping a schema still costs most of a second, so a
  test's schema is emptied when it ends (every row deleted, every sequence restarted, in one
  round trip of a few milliseconds) and handed to the process's next test. The schemas are
  dropped when the process ends.

Tests of the migrations themselves ask for other revisions and still run them
(:func:`tests.support.fresh_database_at`).
"""

from __future__ import annotations

import asyncio
import atexit
import re
import secrets
import shutil
import tempfile
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage import migrate
from storage.database import Database

_sqlite_template: Path | None = None
_postgres_dumps: dict[str, tuple[str, str]] = {}
"""Per server URL: the dump of a migrated schema, and the schema name written in it."""
_free_schemas: dict[str, list[str]] = {}
"""Per server URL: emptied schemas at the head revision, waiting for a test."""
_made_schemas: list[tuple[str, str]] = []
"""Every schema this process made, to drop when it ends."""


async def copy_sqlite_template(target: Path) -> None:
    """Write a migrated, empty SQLite database at ``target``."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="quartiers-template-"))
        path = folder / "head.sqlite"
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate.upgrade(database)
        finally:
            await database.dispose()
        _sqlite_template = path
    shutil.copyfile(_sqlite_template, target)


async def take_postgres_schema(url: str, label: str) -> str:
    """An empty schema at the head revision: one a finished test left, or a new one."""
    free = _free_schemas.setdefault(url, [])
    if free:
        return free.pop()
    if url not in _postgres_dumps:
        _postgres_dumps[url] = await _dump_migrated_schema(url)
    dump, template_schema = _postgres_dumps[url]
    schema = f"t_{label}_{secrets.token_hex(6)}"
    if not _made_schemas:
        atexit.register(_drop_made_schemas)
    _made_schemas.append((url, schema))
    connection = await asyncpg.connect(_libpq_url(url))
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
        await connection.execute(re.sub(rf"\b{template_schema}\b", schema, dump))
    finally:
        await connection.close()
    return schema


async def give_back_postgres_schema(url: str, schema: str) -> None:
    """Empty ``schema`` (its rows and sequences, not its migration mark) for the next test."""
    connection = await asyncpg.connect(_libpq_url(url))
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1"
            " AND tablename <> 'alembic_version'",
            schema,
        )
        sequences = await connection.fetch(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = $1", schema
        )
        # Replica mode skips the foreign keys' triggers, so the tables empty in any order.
        statements = ["SET session_replication_role = replica"]
        statements += [f'DELETE FROM "{schema}"."{row[0]}"' for row in tables]
        statements += [f'ALTER SEQUENCE "{schema}"."{row[0]}" RESTART' for row in sequences]
        statements.append("SET session_replication_role = DEFAULT")
        await connection.execute(";\n".join(statements))
    finally:
        await connection.close()
    _free_schemas.setdefault(url, []).append(schema)


def _drop_made_schemas() -> None:
    async def drop() -> None:
        for url in {url for url, _schema in _made_schemas}:
            connection = await asyncpg.connect(_libpq_url(url))
            try:
                for made_in, schema in _made_schemas:
                    if made_in == url:
                        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            finally:
                await connection.close()

    asyncio.run(drop())


async def _dump_migrated_schema(url: str) -> tuple[str, str]:
    schema = f"t_template_{secrets.token_hex(6)}"
    admin = create_async_engine(url)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        database = Database(url, schema=schema)
        try:
            await migrate.upgrade(database)
        finally:
            await database.dispose()
        dumping = await asyncio.create_subprocess_exec(
            *("pg_dump", "--no-owner", "--no-privileges", "--inserts", "--schema", schema),
            _libpq_url(url),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        output, errors = await dumping.communicate()
        if dumping.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {errors.decode(errors='replace').strip()}")
        dump = output.decode()
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()
    # psql's own commands (``\restrict`` in recent dumps) are not SQL; the schema is made by the
    # caller, and each statement is qualified with it.
    lines = [
        line
        for line in dump.splitlines()
        if not line.startswith("\\") and not line.startswith("CREATE SCHEMA")
    ]
    return "\n".join(lines), schema


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
