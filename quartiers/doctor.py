"""``quartiers doctor``: check each part an instance needs and say what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx2
from sqlalchemy.exc import DBAPIError, InterfaceError

from actors.services import find_local_actor
from config.settings import ConfigError, Settings, load_settings
from config.uris import INSTANCE_USERNAME
from federation.errors import InvalidSignature
from federation.keys import load_private_key, public_pem_of
from quartiers.errors import redact_url
from storage import migrate as migrations
from storage.database import Database


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


async def run_checks(config_path: Path | None) -> int:
    checks: list[Check] = []
    try:
        settings = load_settings(config_path)
    except ConfigError as error:
        checks.append(Check("configuration", False, f"{error}"))
        return _report(checks)
    checks.append(Check("configuration", True, f"{settings.server.name} at {settings.base_url}"))
    database = Database(settings.database_url)
    try:
        checks.extend(await _database_checks(settings, database))
    finally:
        await database.dispose()
    checks.append(await _public_url_check(settings))
    return _report(checks)


async def _database_checks(settings: Settings, database: Database) -> list[Check]:
    where = redact_url(settings.database_url)
    try:
        current = await migrations.current_revision(database)
    except (DBAPIError, InterfaceError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return [Check("database", False, f"cannot reach {where}: {reason}")]
    checks = [Check("database", True, where)]
    head = migrations.head_revision()
    if current != head:
        checks.append(
            Check(
                "migrations",
                False,
                f"schema at {current or 'nothing'}, code expects {head}: run `quartiers migrate`",
            )
        )
        return checks
    checks.append(Check("migrations", True, f"schema at {head}"))
    async with database.session() as session:
        actor = await find_local_actor(session, INSTANCE_USERNAME)
    if actor is None or actor.private_key_pem is None:
        checks.append(Check("keys", False, "no instance actor: run `quartiers migrate`"))
        return checks
    try:
        matches = public_pem_of(load_private_key(actor.private_key_pem)) == actor.public_key_pem
    except InvalidSignature:
        matches = False
    checks.append(
        Check(
            "keys",
            matches,
            "instance key pair is valid"
            if matches
            else "the instance actor's keys do not match; restore them from a backup",
        )
    )
    return checks


async def _public_url_check(settings: Settings) -> Check:
    url = f"{settings.base_url}/.well-known/nodeinfo"
    try:
        async with httpx2.AsyncClient(timeout=5.0) as client:
            response = await client.get(url)
    except httpx2.HTTPError as error:
        return Check(
            "public URL",
            False,
            f"{url} does not answer ({type(error).__name__}); is `quartiers serve` running "
            "and does the reverse proxy forward to it?",
        )
    if response.status_code != 200:
        return Check("public URL", False, f"{url} answered {response.status_code}")
    return Check("public URL", True, f"{url} answers")


def _report(checks: list[Check]) -> int:
    for check in checks:
        mark = "ok  " if check.ok else "FAIL"
        print(f"[{mark}] {check.name}: {check.detail}")
    failed = [check for check in checks if not check.ok]
    print("All checks passed." if not failed else f"{len(failed)} check(s) failed.")
    return 1 if failed else 0
