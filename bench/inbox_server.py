"""The receiving side of the inbox benches: a migrated database with the senders' actors and
keys, and the real application served by uvicorn in a process of its own.

Run as a script by the benches: ``inbox_server.py PORT --database-url URL [--schema S]
[--with-workers] [--profile-to FILE]``. Without ``--with-workers`` it is served as
``quartiers serve --no-workers``; with it, as ``quartiers serve`` (queue workers in-process).
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from signed_creates import RemoteActor, receiving_settings

SERVER_SCRIPT = str(Path(__file__).resolve())


# --------------------------------------------------------------------------- the server side


def serve(
    port: int, database_url: str, schema: str | None, profile: str | None, run_workers: bool
) -> None:
    """Run the real application under uvicorn in this (sub)process until SIGTERM."""
    import uvicorn

    from quartiers.app import create_app
    from quartiers.long_lived import freeze_startup_objects
    from storage.database import Database

    settings = receiving_settings(database_url)
    database = Database(database_url, schema=schema)
    app = create_app(settings, database=database, run_workers=run_workers)
    freeze_startup_objects()  # as `quartiers serve` does
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        proxy_headers=True,
        log_level="warning",
        access_log=False,
    )
    if profile is None:
        uvicorn.Server(config).run()
        return
    import cProfile

    class ProfiledServer(uvicorn.Server):
        """uvicorn re-raises SIGTERM once stopped, which would lose the profile: just stop."""

        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            signal.signal(signal.SIGTERM, lambda *_: setattr(self, "should_exit", True))
            yield

    server = ProfiledServer(config)

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        server.run()
    finally:
        profiler.disable()
        profiler.dump_stats(profile)


# --------------------------------------------------------------------------- preparation


async def prepare_database(url: str, schema: str | None, actors: list[RemoteActor]) -> None:
    from sqlalchemy import insert, text
    from sqlalchemy.ext.asyncio import create_async_engine

    from actors.services import ensure_instance_actor
    from storage import migrate
    from storage.database import Database
    from storage.models import Actor, utcnow

    if schema:
        admin = create_async_engine(url)
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
    database = Database(url, schema=schema)
    try:
        await migrate.upgrade(database)
        async with database.transaction() as session:
            await ensure_instance_actor(session, receiving_settings(url))
            now = utcnow()
            await session.execute(
                insert(Actor),
                [
                    {
                        "uri": actor.uri,
                        "type": "Person",
                        "username": actor.uri.rsplit("/", 1)[-1],
                        "domain": actor.uri.split("/")[2],
                        "is_local": False,
                        "name": actor.uri.rsplit("/", 1)[-1],
                        "summary": "",
                        "inbox_uri": f"{actor.uri}/inbox",
                        "shared_inbox_uri": f"https://{actor.uri.split('/')[2]}/inbox",
                        "followers_uri": f"{actor.uri}/followers",
                        "public_key_id": actor.key_id,
                        "public_key_pem": actor.public_pem,
                        "manually_approves_followers": False,
                        "is_gone": False,
                        "fetched_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for actor in actors
                ],
            )
    finally:
        await database.dispose()


async def count_rows(url: str, schema: str | None) -> int:
    from sqlalchemy import func, select

    from storage.database import Database
    from storage.models import InboxItem

    database = Database(url, schema=schema)
    try:
        async with database.session() as session:
            return await session.scalar(select(func.count()).select_from(InboxItem)) or 0
    finally:
        await database.dispose()


async def drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(url)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--schema")
    parser.add_argument("--with-workers", action="store_true")
    parser.add_argument("--profile-to")
    arguments = parser.parse_args()
    serve(
        arguments.port,
        arguments.database_url,
        arguments.schema,
        arguments.profile_to,
        arguments.with_workers,
    )


if __name__ == "__main__":
    main()
