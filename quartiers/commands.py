"""What each ``quartiers`` command does; the parser lives in :mod:`quartiers.cli`."""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from actors import services as actor_services
from actors.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem
from actors.blocklist_csv import plain_domain
from commons.petitions.audit import audit, our_petition
from config import template as config_file
from config.settings import (
    DEFAULT_CONFIG_PATH,
    LOOPBACK_HOSTS,
    ConfigError,
    Settings,
    load_settings,
)
from quartiers.errors import CommandError, explained, redact_url
from quartiers.long_lived import freeze_startup_objects
from quartiers.progress import Progress
from storage import migrate as migrations
from storage.blocks import block_domain, block_of, list_blocks, unblock_domain
from storage.database import Database
from storage.models.hosts import LIMIT, SUSPEND


def _config_path(arguments: argparse.Namespace) -> Path | None:
    path: Path | None = getattr(arguments, "config", None)
    return path


def config_file_of(arguments: argparse.Namespace) -> Path:
    """The configuration file a command reads: --config, $QUARTIERS_CONFIG or ./config.toml."""
    return _config_path(arguments) or Path(
        os.environ.get("QUARTIERS_CONFIG", str(DEFAULT_CONFIG_PATH))
    )


def settings_for(arguments: argparse.Namespace) -> Settings:
    try:
        return load_settings(_config_path(arguments))
    except ConfigError as error:
        raise CommandError(f"configuration: {error}") from None


async def open_migrated_database(settings: Settings) -> Database:
    """The database, refusing to go on when its schema is not the current one."""
    database = Database(settings.database_url)
    async with explained(settings.database_url):
        current = await migrations.current_revision(database)
    if current != migrations.head_revision():
        await database.dispose()
        raise CommandError(
            "the database schema is not up to date; run `quartiers migrate` first"
            if current
            else "the database is empty; run `quartiers init` or `quartiers migrate`"
        )
    return database


async def init(arguments: argparse.Namespace) -> int:
    path = _config_path(arguments) or DEFAULT_CONFIG_PATH
    if path.exists():
        raise CommandError(f"{path} already exists; remove it or pass --config to write another")
    domain = arguments.domain or "127.0.0.1:8000"
    host, _, port = domain.rpartition(":")
    bind_port = int(port) if port.isdecimal() else 8000
    wanted_port = os.environ.get("QUARTIERS_SERVER_BIND_PORT", "")
    if wanted_port:
        if not wanted_port.isdecimal():
            raise CommandError(
                f"QUARTIERS_SERVER_BIND_PORT must be a whole number, not {wanted_port!r}"
            )
        bind_port = int(wanted_port)
        if host in LOOPBACK_HOSTS and port.isdecimal():
            domain = f"{host}:{bind_port}"  # a development address follows its port
    scheme = arguments.scheme or ("http" if domain.split(":")[0] in LOOPBACK_HOSTS else "https")
    values = config_file.ConfigValues(
        name=arguments.name or config_file.ConfigValues.name,
        domain=domain,
        scheme=scheme,
        bind_port=bind_port,
        database_url=arguments.db or config_file.ConfigValues.database_url,
        allow_private_addresses=domain.split(":")[0] in LOOPBACK_HOSTS,
        secret_key=config_file.random_secret(),
    )
    text = config_file.render_config(values)
    # Check the whole configuration before anything is created.
    staging = path.with_name(f".{path.name}.new")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging.write_text(text, encoding="utf-8")
    try:
        settings = load_settings(staging, environ={})
    except ConfigError as error:
        staging.unlink()
        raise CommandError(f"configuration: {error}") from None
    try:
        database = Database(settings.database_url)
        async with explained(settings.database_url):
            await migrations.upgrade(database)
            async with database.transaction() as session:
                actor = await actor_services.ensure_instance_actor(session, settings)
        await database.dispose()
        staging.rename(path)
    finally:
        if staging.exists():
            staging.unlink()
    print(f"Wrote {path}; database ready; instance actor {actor.uri}")
    print("Next: `quartiers account create NAME --admin`, then `quartiers serve`.")
    return 0


async def migrate(arguments: argparse.Namespace) -> int:
    settings = settings_for(arguments)
    database = Database(settings.database_url)
    async with explained(settings.database_url):
        before = await migrations.current_revision(database)
        await migrations.upgrade(database, progress=Progress)
        async with database.transaction() as session:
            await actor_services.ensure_instance_actor(session, settings)
        after = await migrations.current_revision(database)
    await database.dispose()
    print(f"Database schema: {before or 'empty'} → {after}")
    return 0


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CommandError(
                f"cannot listen on {host}:{port} ({error.strerror}); is another server running? "
                "Change server.bind_port or QUARTIERS_SERVER_BIND_PORT"
            ) from None


async def serve(arguments: argparse.Namespace) -> int:
    import uvicorn

    from quartiers.app import create_app

    settings = settings_for(arguments)
    database = await open_migrated_database(settings)
    check_port_free(settings.server.bind_host, settings.server.bind_port)
    app = create_app(settings, database=database, run_workers=not arguments.no_workers)
    freeze_startup_objects()
    config = uvicorn.Config(
        app,
        host=settings.server.bind_host,
        port=settings.server.bind_port,
        proxy_headers=True,
        log_level="info",
        access_log=False,
    )
    print(
        f"Serving {settings.server.name} on {settings.base_url} "
        f"(listening on {settings.server.bind_host}:{settings.server.bind_port})",
        flush=True,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await database.dispose()
    return 0


async def worker(arguments: argparse.Namespace) -> int:
    from quartiers.workers import run_workers_forever

    settings = settings_for(arguments)
    database = await open_migrated_database(settings)
    freeze_startup_objects()
    try:
        await run_workers_forever(settings, database)
    finally:
        await database.dispose()
    return 0


def _read_password(arguments: argparse.Namespace) -> str:
    if arguments.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise CommandError("the two passwords differ")
    else:
        raise CommandError("no password given; use --password-stdin or run in a terminal")
    problem = password_problem(password)
    if problem == "too_short":
        raise CommandError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if problem is not None:
        raise CommandError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    return password


@asynccontextmanager
async def writing(arguments: argparse.Namespace) -> AsyncIterator[tuple[Settings, AsyncSession]]:
    """The settings and one transaction on the migrated database, closed whatever happens."""
    settings = settings_for(arguments)
    database = await open_migrated_database(settings)
    try:
        async with explained(settings.database_url), database.transaction() as session:
            yield settings, session
    finally:
        await database.dispose()


async def account_create(arguments: argparse.Namespace) -> int:
    password = _read_password(arguments)
    async with writing(arguments) as (settings, session):
        account = await actor_services.create_account(
            session,
            settings,
            arguments.username,
            password,
            display_name=arguments.name,
            is_admin=arguments.admin,
        )
    role = "admin" if arguments.admin else "resident"
    print(f"Created {role} @{account.username}@{settings.server.domain}")
    return 0


async def group_create(arguments: argparse.Namespace) -> int:
    async with writing(arguments) as (settings, session):
        group = await actor_services.create_group(
            session,
            settings,
            arguments.name,
            arguments.kind,
            arguments.owner,
            display_name=arguments.display_name,
        )
    print(f"Created {arguments.kind} @{group.username}@{settings.server.domain}")
    return 0


async def token_create(arguments: argparse.Namespace) -> int:
    async with writing(arguments) as (_settings, session):
        token = await actor_services.create_api_token(session, arguments.username, "cli")
    print(token)
    return 0


def _normalise_domain(domain: str) -> str:
    cleaned = plain_domain(domain)
    if cleaned is None:
        raise CommandError(f"{domain!r} is not a domain name (like spam.example)")
    return cleaned


async def block_add(arguments: argparse.Namespace) -> int:
    domain = _normalise_domain(arguments.domain)
    severity = getattr(arguments, "severity", SUSPEND)
    async with writing(arguments) as (settings, session):
        if domain == settings.host:
            raise CommandError(f"{domain} is our own domain")
        before = await block_of(session, domain)
        was = before.severity if before is not None else None
        await block_domain(session, domain, arguments.reason, severity=severity)
    verb = "Limited" if severity == LIMIT else "Blocked"
    print(f"{verb} {domain}" + (f" (was {was})" if was and was != severity else ""))
    return 0


async def block_remove(arguments: argparse.Namespace) -> int:
    domain = _normalise_domain(arguments.domain)
    async with writing(arguments) as (_settings, session):
        if not await unblock_domain(session, domain):
            raise CommandError(f"{domain} is not blocked")
    print(f"Unblocked {domain}")
    return 0


async def petition_verify(arguments: argparse.Namespace) -> int:
    """Check every signature of one of our petitions again, and report the counts."""
    async with writing(arguments) as (settings, session):
        wanted = arguments.petition.strip()
        if not wanted.startswith(("http://", "https://")):
            wanted = f"{settings.base_url}/petitions/{wanted}"
        petition = await our_petition(session, wanted)
        if petition is None:
            raise CommandError(f"no petition of this server is {wanted}")
        result = await audit(session, petition)
    print(f"{petition.title}")
    print(f"signatures counted: {result.counted} (tally kept: {result.stored_tally}), "
          f"withdrawn: {result.withdrawn}")  # fmt: skip
    for way, count in sorted(result.by_way.items()):
        print(f"  {way}: {count}")
    for quartier, count in sorted(result.by_quartier.items()):
        print(f"  {quartier}: {count}")
    print(f"integrity proofs valid: {result.proofs_valid}; Mastodon votes with a checked HTTP "
          f"signature: {result.http_checked}")  # fmt: skip
    for signer in result.proofs_failed:
        print(f"  proof failed: {signer}")
    if not result.is_sound:
        raise CommandError(
            f"{len(result.proofs_failed)} proofs failed, or the tally differs from the signatures"
        )
    print("every signature checks out")
    return 0


async def block_list(arguments: argparse.Namespace) -> int:
    async with writing(arguments) as (_settings, session):
        blocks = await list_blocks(session)
    for block in blocks:
        source = block.source_url or "typed here"
        print(f"{block.domain}\t{block.severity}\t{source}\t{block.reason}".rstrip("\t"))
    if not blocks:
        print("No blocked domain.", file=sys.stderr)
    return 0


async def demo(arguments: argparse.Namespace) -> int:
    from quartiers.demo import fill_demo_neighbourhood

    settings = settings_for(arguments)
    database = await open_migrated_database(settings)
    async with explained(settings.database_url):
        async with database.session() as session:
            people = await actor_services.count_local_people(session)
        if people:
            await database.dispose()
            if arguments.if_empty:
                print("The instance already has residents; the demo neighbourhood is not added.")
                return 0
            raise CommandError("the instance already has residents; the demo needs an empty one")
        summary = await fill_demo_neighbourhood(settings, database)
    await database.dispose()
    print(summary)
    return 0


async def doctor(arguments: argparse.Namespace) -> int:
    from quartiers.doctor import run_checks

    return await run_checks(_config_path(arguments))


async def backup(arguments: argparse.Namespace) -> int:
    from quartiers.backup import write_backup

    settings = settings_for(arguments)
    parent: Path = arguments.to or settings.config_dir / "backups"
    folder, contents = await write_backup(settings, config_file_of(arguments), parent)
    print(f"Backup written to {folder} ({contents})")
    return 0


async def restore(arguments: argparse.Namespace) -> int:
    from quartiers.backup import read_backup, restore_backup

    backup = read_backup(arguments.path)
    config_path = config_file_of(arguments)
    wrote_config = False
    if not config_path.exists():
        if backup.config_file is None:
            raise CommandError(
                f"{config_path} does not exist and the backup has no configuration; "
                "write one with `quartiers init` first"
            )
        config_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(backup.config_file, config_path)
        config_path.chmod(0o600)
        wrote_config = True
    try:
        settings = settings_for(arguments)
        contents = await restore_backup(backup, settings, force=arguments.force)
    except BaseException:
        if wrote_config:
            config_path.unlink()
        raise
    if wrote_config:
        print(f"Wrote {config_path} from the backup")
    print(f"Restored {arguments.path} into {redact_url(settings.database_url)} ({contents})")
    return 0
