"""``quartiers backup`` while a server writes, then ``quartiers restore`` into a fresh folder.

Everything runs for real: the ``quartiers`` command in subprocesses, a served instance taking
notes through the client-to-server API while the backup is made, SQLite's online backup or
``pg_dump``/``pg_restore`` on a PostgreSQL database of the test's own.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.quartiers.cli_support import (
    assert_one_line_error,
    free_port,
    quartiers_env,
    run_quartiers,
    serving,
)
from tests.support import postgres_url

MAX_NOTES = 300  # the writer's bound, whatever happens
FOLLOWS = (("amelie", "repair-cafe"), ("karim", "fablab"), ("fatou", "assemblee"))
PASSWORD = "correct horse battery\n"


@dataclass(frozen=True)
class Snapshot:
    """What a person would check after a restore, read straight from the database."""

    posts: dict[str, str]  # uri: content
    events: dict[str, str]  # uri: title
    follows: set[tuple[str, str, str]]  # follower, followed, state
    keys: dict[str, tuple[str, str | None]]  # actor uri: (public, private)


async def read_snapshot(url: str) -> Snapshot:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            posts = (await connection.execute(text("SELECT uri, content_html FROM posts"))).all()
            events = (await connection.execute(text("SELECT uri, title FROM events"))).all()
            follows = (
                await connection.execute(
                    text(
                        "SELECT follower.uri, followed.uri, follows.state FROM follows "
                        "JOIN actors AS follower ON follower.id = follows.follower_id "
                        "JOIN actors AS followed ON followed.id = follows.followed_id"
                    )
                )
            ).all()
            keys = (
                await connection.execute(
                    text("SELECT uri, public_key_pem, private_key_pem FROM actors")
                )
            ).all()
    finally:
        await engine.dispose()
    return Snapshot(
        posts={uri: content for uri, content in posts},
        events={uri: title for uri, title in events},
        follows={(follower, followed, state) for follower, followed, state in follows},
        keys={uri: (public, private) for uri, public, private in keys},
    )


def snapshot(url: str) -> Snapshot:
    return asyncio.run(read_snapshot(url))


async def _admin(statement: str) -> None:
    url = postgres_url()
    assert url is not None
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
def database_urls(database_kind: str, tmp_path: Path) -> Iterator[tuple[str | None, str | None]]:
    """(original, restored) database URLs: None for SQLite under each folder's data/."""
    if database_kind == "sqlite":
        yield None, None
        return
    base = postgres_url()
    assert base is not None
    names = [f"qc_backup_{secrets.token_hex(4)}", f"qc_restore_{secrets.token_hex(4)}"]
    for name in names:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        urls = [make_url(base).set(database=name).render_as_string(False) for name in names]
        yield urls[0], urls[1]
    finally:
        for name in names:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sqlite_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'data' / 'quartiers.db'}"


class NoteWriter(threading.Thread):
    """Posts notes through amelie's outbox until told to stop, and remembers each one taken."""

    def __init__(self, base: str, token: str) -> None:
        super().__init__(daemon=True)
        self.base, self.token = base, token
        self.taken: list[str] = []  # contents answered 201, in order
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def count(self) -> int:
        with self.lock:
            return len(self.taken)

    def run(self) -> None:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/activity+json",
        }
        with httpx2.Client(timeout=30.0) as client:
            for number in range(MAX_NOTES):
                if self.stop.is_set():
                    return
                content = f"Note de sauvegarde numéro {number}"
                response = client.post(
                    f"{self.base}/@amelie/outbox",
                    headers=headers,
                    json={"type": "Note", "content": content},
                )
                if response.status_code != 201:
                    self.failures.append(f"{response.status_code} {response.text}")
                    return
                with self.lock:
                    self.taken.append(content)


def post_as(base: str, token: str, activity: dict[str, str]) -> None:
    response = httpx2.post(
        f"{base}/@{activity.pop('actor')}/outbox",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/activity+json"},
        json=activity,
        timeout=30.0,
    )
    assert response.status_code == 201, response.text


def token_for(folder: Path, username: str, env: dict[str, str]) -> str:
    result = run_quartiers(folder, "token", "create", username, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_backup_made_while_serving_restores_every_post_event_follower_and_key(
    tmp_path: Path, database_urls: tuple[str | None, str | None]
) -> None:
    original_url, restored_url = database_urls
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    original, restored, backups = tmp_path / "paquis", tmp_path / "restored", tmp_path / "backups"
    original.mkdir()
    env = quartiers_env(QUARTIERS_SERVER_BIND_PORT=str(port))

    # Given the demo neighbourhood (residents and collectives with their keys, posts, events)
    init = ["init", "--domain", f"127.0.0.1:{port}"]
    if original_url:
        init += ["--db", original_url]
    for step in (init, ["demo"]):
        result = run_quartiers(original, *step, env=env)
        assert result.returncode == 0, result.stderr
    original_url = original_url or sqlite_url(original)

    with serving(original, port):
        # And residents following collectives
        for follower, followed in FOLLOWS:
            post_as(
                base,
                token_for(original, follower, env),
                {"actor": follower, "type": "Follow", "object": f"{base}/@{followed}"},
            )
        # And a resident publishing note after note through the server
        writer = NoteWriter(base, token_for(original, "amelie", env))
        writer.start()
        try:
            while writer.count() < 3 and writer.is_alive():
                writer.join(0.05)
            before = snapshot(original_url)
            taken_before = writer.count()

            # When the backup is made while the server writes
            backup = run_quartiers(original, "backup", "--to", str(backups), env=env)

            # (the writer goes on until it has taken a note after the backup ended)
            taken_at_end = writer.count()
            while writer.count() <= taken_at_end and writer.is_alive():
                writer.join(0.05)
        finally:
            writer.stop.set()
            writer.join(60)
        after = snapshot(original_url)
    assert not writer.failures, writer.failures
    assert writer.count() > taken_at_end >= taken_before >= 3
    assert backup.returncode == 0, backup.stderr
    [folder] = backups.iterdir()
    assert backup.stdout.startswith(f"Backup written to {folder} (")
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        ["manifest.json", "config.toml"]
        + (["database.sqlite3"] if original_url.startswith("sqlite") else ["database.pgdump"])
    )
    assert folder.stat().st_mode & 0o077 == 0

    # And it is restored into a fresh folder, with no configuration of its own
    restored.mkdir()
    restore_env = env if restored_url is None else {**env, "QUARTIERS_DATABASE_URL": restored_url}
    result = run_quartiers(restored, "restore", str(folder), env=restore_env)
    assert result.returncode == 0, result.stderr
    assert (restored / "config.toml").read_bytes() == (original / "config.toml").read_bytes()
    found = snapshot(restored_url or sqlite_url(restored))

    # Then every key, event and follow is there, and every post taken before the backup began
    assert found.keys == before.keys == after.keys
    assert found.events == before.events == after.events
    assert len(found.events) == 4
    assert found.follows == before.follows == after.follows
    assert {(f"{base}/@{a}", f"{base}/@{b}", "accepted") for a, b in FOLLOWS} <= found.follows
    assert before.posts.items() <= found.posts.items() <= after.posts.items()
    # (one consistent snapshot: the notes it holds are the first ones written, without a gap)
    numbers = {
        int(match.group(1))
        for content in found.posts.values()
        if (match := re.search(r"Note de sauvegarde numéro (\d+)", content))
    }
    assert numbers == set(range(len(numbers)))
    assert taken_before <= len(numbers) <= writer.count()

    # And the restored instance serves them, signing with the same keys
    with serving(restored, port, "--no-workers"), httpx2.Client(timeout=30.0) as client:
        actor = client.get(f"{base}/@amelie", headers={"Accept": "application/activity+json"})
        finger = client.get(
            f"{base}/.well-known/webfinger", params={"resource": f"acct:amelie@127.0.0.1:{port}"}
        )
        pages = [
            client.get(uri, headers={"Accept": "application/activity+json"})
            for uri in list(before.posts)[:3]
        ]
    assert actor.status_code == 200
    assert actor.json()["publicKey"]["publicKeyPem"] == before.keys[f"{base}/@amelie"][0]
    assert finger.status_code == 200
    assert [page.status_code for page in pages] == [200, 200, 200]

    # And a second restore into the now full instance is refused in one line, unless forced
    again = run_quartiers(restored, "restore", str(folder), env=restore_env)
    assert_one_line_error(again, "is not empty", "--force")
    forced = run_quartiers(restored, "restore", str(folder), "--force", env=restore_env)
    assert forced.returncode == 0, forced.stderr
    assert snapshot(restored_url or sqlite_url(restored)) == found


@pytest.fixture(scope="module")
def small_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of an instance with one resident."""
    folder = tmp_path_factory.mktemp("small")
    assert run_quartiers(folder, "init", "--domain", "127.0.0.1:8713").returncode == 0
    created = run_quartiers(
        folder, "account", "create", "alice", "--password-stdin", stdin=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    result = run_quartiers(folder, "backup", "--to", "backups")
    assert result.returncode == 0, result.stderr
    [backup] = (folder / "backups").iterdir()
    return backup


def test_a_damaged_backup_is_refused_in_one_line_and_nothing_is_written(
    small_backup: Path, tmp_path: Path
) -> None:
    # Given a copy of a backup whose database lost a byte
    damaged = tmp_path / "damaged"
    shutil.copytree(small_backup, damaged)
    database = damaged / "database.sqlite3"
    database.write_bytes(database.read_bytes()[:-1])
    target = tmp_path / "target"
    target.mkdir()

    # When it is restored
    result = run_quartiers(target, "restore", str(damaged))

    # Then it says which file is damaged, and writes neither configuration nor database
    assert_one_line_error(result, "database.sqlite3 is missing or damaged")
    assert list(target.iterdir()) == []


def test_a_restore_into_another_domain_is_refused(small_backup: Path, tmp_path: Path) -> None:
    # Given an instance of another domain, still empty
    assert run_quartiers(tmp_path, "init", "--domain", "jonction.example").returncode == 0

    # When the backup of 127.0.0.1:8713 is restored into it
    result = run_quartiers(tmp_path, "restore", str(small_backup))

    # Then it is refused, naming both domains
    assert_one_line_error(result, "127.0.0.1:8713", "jonction.example")


def test_what_is_not_a_backup_is_one_line(tmp_path: Path) -> None:
    # When a folder without a manifest is restored
    result = run_quartiers(tmp_path, "restore", str(tmp_path))

    # Then it is one line
    assert_one_line_error(result, "is not a quartiers backup")


def test_a_backup_without_a_database_is_one_line(tmp_path: Path) -> None:
    # Given a configuration whose database does not exist yet
    (tmp_path / "a").mkdir()
    assert run_quartiers(tmp_path / "a", "init").returncode == 0
    (tmp_path / "a" / "data" / "quartiers.db").unlink()

    # When it is backed up
    result = run_quartiers(tmp_path / "a", "backup")

    # Then it says there is nothing to back up, and writes no folder
    assert_one_line_error(result, "is empty; nothing to back up")
    assert not (tmp_path / "a" / "backups").exists()
