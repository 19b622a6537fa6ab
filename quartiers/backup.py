"""``quartiers backup`` and ``quartiers restore``: one folder holds everything an instance is.

A backup is a folder ``quartiers-backup-<UTC time>`` with ``manifest.json`` (what, when, which
schema, a SHA-256 of every file), the configuration file, and the database: a SQLite copy made
with SQLite's online backup API (a consistent snapshot, while the server keeps writing), or a
``pg_dump`` archive (one transaction's snapshot). Uploaded images live in the database (the
``media`` table), so the database copy holds them too; there is no other media folder.

A restore only goes into an empty instance (one `quartiers init` or `quartiers migrate` just
made), unless ``--force`` says to replace what is there.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config.settings import Settings
from config.uris import INSTANCE_USERNAME
from quartiers import __version__
from quartiers.errors import CommandError, explained, redact_url
from quartiers.progress import Progress
from storage import migrate as migrations
from storage.database import Database

BACKUP_FORMAT = 1
MANIFEST = "manifest.json"
CONFIG_COPY = "config.toml"
SQLITE_COPY = "database.sqlite3"
POSTGRES_COPY = "database.pgdump"
FOLDER_PREFIX = "quartiers-backup-"
# What a person checks after a restore; every other table comes along all the same.
COUNTED_TABLES = ("actors", "posts", "events", "follows")


@dataclass(frozen=True)
class Contents:
    """How many rows of the tables people care about."""

    counts: Mapping[str, int]

    @property
    def is_empty(self) -> bool:
        """Nothing but the instance actor that `init` and `migrate` create."""
        return all(count == 0 for count in self.counts.values())

    def describe(self) -> str:
        return ", ".join(f"{name}: {count}" for name, count in self.counts.items())


async def read_contents(database: Database) -> Contents:
    async with database.session() as session:
        counts = {}
        for table in COUNTED_TABLES:
            query = f"SELECT count(*) FROM {table}"  # noqa: S608 - names from the constant above
            if table == "actors":
                query += " WHERE NOT (is_local AND username = :instance)"
            counts[table] = int(await session.scalar(text(query), {"instance": INSTANCE_USERNAME}))
    return Contents(counts)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _database_kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def _postgres_env(url: str) -> dict[str, str]:
    """libpq's variables for ``url``: the password never appears on a command line."""
    parts = make_url(url)
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", parts.host),
        ("PGPORT", str(parts.port) if parts.port else None),
        ("PGUSER", parts.username),
        ("PGPASSWORD", parts.password),
        ("PGDATABASE", parts.database),
    ):
        if value:
            env[name] = str(value)
    return env


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(
            f"{name} is not installed; it comes with PostgreSQL's client tools "
            "(Debian: apt-get install postgresql-client)"
        )
    return path


async def _run_tool(tool: str, arguments: list[str], url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        _require_tool(tool),
        *arguments,
        env=_postgres_env(url),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, error = await process.communicate()
    if process.returncode != 0:
        lines = error.decode(errors="replace").strip().splitlines()
        reason = lines[0] if lines else f"exit status {process.returncode}"
        raise CommandError(f"{tool} failed on {redact_url(url)}: {reason}")


# --- backup --------------------------------------------------------------------------------


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: one consistent snapshot, however busy the server is."""
    if not source.is_file():
        raise CommandError(f"{source} does not exist; nothing to back up")
    with (
        closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=30)) as origin,
        closing(sqlite3.connect(target)) as copy,
    ):
        origin.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
    if verdict != "ok":
        raise CommandError(f"the copy of {source} is damaged ({verdict}); nothing was written")


def _start_folder(parent: Path, now: datetime) -> tuple[Path, Path]:
    """A new backup folder's final name, and the private folder it is written in first."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot create {parent}: {error.strerror}") from None
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(100):
        suffix = f"-{attempt}" if attempt else ""
        folder = parent / f"{FOLDER_PREFIX}{stamp}{suffix}"
        partial = folder.with_name(f".{folder.name}.partial")
        if not folder.exists() and not partial.exists():
            try:
                partial.mkdir(mode=0o700)
            except OSError as error:
                raise CommandError(f"cannot write in {parent}: {error.strerror}") from None
            return folder, partial
    raise CommandError(f"{parent} already holds too many backups from this second")


def _finish_folder(
    folder: Path, partial: Path, config_path: Path, manifest: dict[str, Any]
) -> None:
    """Add the configuration and the manifest, then give the folder its final name."""
    files = [str(manifest["database_file"])]
    if config_path.is_file():
        shutil.copyfile(config_path, partial / CONFIG_COPY)
        files.append(CONFIG_COPY)
    for name in files:
        (partial / name).chmod(0o600)  # the keys and the secret key are inside
    manifest["sha256"] = {name: _sha256(partial / name) for name in files}
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    partial.rename(folder)


def _discard(partial: Path) -> None:
    if partial.exists():
        shutil.rmtree(partial, ignore_errors=True)


async def write_backup(settings: Settings, config_path: Path, parent: Path) -> tuple[Path, str]:
    """Back up the instance into a new folder under ``parent``; its path and what it holds."""
    url = settings.database_url
    kind = _database_kind(url)
    database = Database(url)
    try:
        async with explained(url):
            revision = await migrations.current_revision(database)
            if revision is None:
                raise CommandError(
                    f"the database at {redact_url(url)} is empty; nothing to back up"
                )
            contents = await read_contents(database)
    finally:
        await database.dispose()
    now = datetime.now(UTC)
    folder, partial = _start_folder(parent, now)
    try:
        if kind == "sqlite":
            database_file = SQLITE_COPY
            await asyncio.to_thread(_copy_sqlite, _sqlite_path(url), partial / database_file)
        else:
            database_file = POSTGRES_COPY
            arguments = ["--format=custom", "--no-owner", "--no-privileges"]
            await _run_tool("pg_dump", [*arguments, f"--file={partial / database_file}"], url)
        manifest: dict[str, Any] = {
            "format": BACKUP_FORMAT,
            "created_at": now.isoformat(timespec="seconds"),
            "quartiers_version": __version__,
            "domain": settings.server.domain,
            "database": kind,
            "database_file": database_file,
            "schema_revision": revision,
            "contents": dict(contents.counts),
        }
        _finish_folder(folder, partial, config_path, manifest)
    except OSError as error:
        raise CommandError(f"cannot write the backup in {parent}: {error}") from None
    finally:
        _discard(partial)
    return folder, contents.describe()


# --- restore -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    folder: Path
    manifest: Mapping[str, Any]

    @property
    def database_file(self) -> Path:
        return self.folder / str(self.manifest["database_file"])

    @property
    def config_file(self) -> Path | None:
        path = self.folder / CONFIG_COPY
        return path if CONFIG_COPY in self.manifest["sha256"] else None


def _known_revisions() -> set[str]:
    scripts = ScriptDirectory.from_config(migrations.alembic_config())
    return {script.revision for script in scripts.walk_revisions()}


def read_backup(folder: Path) -> Backup:
    """The backup in ``folder``, its files checked against the manifest."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise CommandError(f"{folder} is not a quartiers backup (it has no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        kind, revision = manifest["database"], manifest["schema_revision"]
        checksums = manifest["sha256"]
        database_file = manifest["database_file"]
        if manifest["format"] != BACKUP_FORMAT:
            raise CommandError(
                f"{folder} is a backup of format {manifest['format']}; "
                f"this version reads format {BACKUP_FORMAT}"
            )
    except (ValueError, KeyError, TypeError):
        raise CommandError(f"{manifest_path} is damaged (not the manifest of a backup)") from None
    if kind not in ("sqlite", "postgresql") or database_file not in checksums:
        raise CommandError(f"{manifest_path} is damaged (no database in it)")
    if revision not in _known_revisions():
        raise CommandError(
            f"the backup's schema {revision} is newer than this version knows; "
            "update the code before restoring it"
        )
    for name, expected in checksums.items():
        path = folder / name
        if not path.is_file() or _sha256(path) != expected:
            raise CommandError(f"{path} is missing or damaged (its SHA-256 differs); not restored")
    return Backup(folder, manifest)


def _restore_sqlite(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)) as origin,
        closing(sqlite3.connect(target, timeout=30)) as destination,
    ):
        origin.backup(destination)
        destination.execute("PRAGMA journal_mode=WAL")


async def restore_backup(backup: Backup, settings: Settings, *, force: bool) -> str:
    """Bring ``backup`` into the instance ``settings`` names; what it now holds."""
    url = settings.database_url
    kind = _database_kind(url)
    if backup.manifest["database"] != kind:
        raise CommandError(
            f"the backup holds a {backup.manifest['database']} database but database.url "
            f"is {kind}; restore it into the same kind of database"
        )
    domain = backup.manifest["domain"]
    if domain != settings.server.domain and not force:
        raise CommandError(
            f"the backup is of {domain} but this instance is {settings.server.domain}; every id "
            "contains the domain, so set server.domain to it (or pass --force)"
        )
    database = Database(url)
    try:
        async with explained(url):
            revision = await migrations.current_revision(database)
            if revision is not None:
                contents = await read_contents(database)
                if not contents.is_empty and not force:
                    raise CommandError(
                        f"the database at {redact_url(url)} is not empty ({contents.describe()}); "
                        "restore into an empty instance, or pass --force to replace it"
                    )
    finally:
        await database.dispose()
    if kind == "sqlite":
        await asyncio.to_thread(_restore_sqlite, backup.database_file, _sqlite_path(url))
    else:
        arguments = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if revision is not None:
            arguments += ["--clean", "--if-exists"]  # replace the tables `migrate` made
        arguments.append(f"--dbname={make_url(url).database}")
        await _run_tool("pg_restore", [*arguments, str(backup.database_file)], url)
    database = Database(url)
    try:
        async with explained(url):
            await migrations.upgrade(
                database, progress=Progress
            )  # a backup from an older version catches up
            contents = await read_contents(database)
    finally:
        await database.dispose()
    return contents.describe()
