"""``quartiers doctor``: each check reports ok or FAIL with what to fix, and the exit code follows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import update

from actors.services import ensure_instance_actor
from config.settings import Settings, load_settings
from config.template import ConfigValues, render_config
from config.uris import INSTANCE_USERNAME
from quartiers.app import create_app
from quartiers.doctor import run_checks
from storage import migrate
from storage.database import Database
from storage.models import Actor
from tests.quartiers.cli_support import SERVER_START_TIMEOUT, free_port
from tests.support import TEST_SECRET

NODEINFO_PATH = "/.well-known/nodeinfo"


def write_config(folder: Path, port: int) -> Path:
    """A config for an instance at ``127.0.0.1:port``, its SQLite file beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    values = ConfigValues(
        domain=f"127.0.0.1:{port}",
        bind_port=port,
        secret_key=TEST_SECRET,
        allow_private_addresses=True,
    )
    path.write_text(render_config(values), encoding="utf-8")
    return path


async def new_instance(folder: Path, port: int) -> Path:
    """A config, its migrated database and its instance actor, as `quartiers init` leaves them."""
    path = write_config(folder, port)
    settings = load_settings(path, environ={})
    database = Database(settings.database_url)
    try:
        await migrate.upgrade(database)
        async with database.transaction() as session:
            await ensure_instance_actor(session, settings)
    finally:
        await database.dispose()
    return path


@asynccontextmanager
async def serving_in_process(settings: Settings) -> AsyncIterator[None]:
    config = uvicorn.Config(
        create_app(settings, run_workers=False),
        host="127.0.0.1",
        port=settings.server.bind_port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(SERVER_START_TIMEOUT):
            while not server.started:
                assert not task.done(), "the server stopped while starting"
                await asyncio.sleep(0.02)
        yield
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


def report_lines(output: str) -> dict[str, str]:
    """``{check name: "ok  " or "FAIL"}`` from the doctor's report."""
    marks: dict[str, str] = {}
    for line in output.splitlines():
        if line.startswith("["):
            mark, _, rest = line[1:].partition("] ")
            marks[rest.split(":", 1)[0]] = mark
    return marks


async def test_only_the_public_url_fails_when_no_server_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a healthy instance whose public URL nobody serves
    port = free_port()
    path = await new_instance(tmp_path, port)

    # When the doctor runs
    code = await run_checks(path)

    # Then the public URL alone is reported as failing, and the exit code says so
    output = capsys.readouterr().out
    assert report_lines(output) == {
        "configuration": "ok  ",
        "database": "ok  ",
        "migrations": "ok  ",
        "keys": "ok  ",
        "public URL": "FAIL",
    }
    assert f"http://127.0.0.1:{port}{NODEINFO_PATH} does not answer" in output
    assert output.splitlines()[-1] == "1 check(s) failed."
    assert code == 1


async def test_every_check_passes_against_a_running_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a healthy instance, served on its public URL
    path = await new_instance(tmp_path, free_port())
    settings = load_settings(path, environ={})

    # When the doctor runs
    async with serving_in_process(settings):
        code = await run_checks(path)

    # Then everything is ok
    output = capsys.readouterr().out
    assert set(report_lines(output).values()) == {"ok  "}, output
    assert output.splitlines()[-1] == "All checks passed."
    assert code == 0


async def test_a_broken_configuration_is_a_fail_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a config with a wrong time zone
    path = write_config(tmp_path, free_port())
    path.write_text(path.read_text("utf-8").replace("Europe/Zurich", "Europe/Geneve"), "utf-8")

    # When the doctor runs
    code = await run_checks(path)

    # Then it stops at the configuration, naming the setting
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[FAIL] configuration: server.timezone")
    assert lines[-1] == "1 check(s) failed."
    assert len(lines) == 2
    assert code == 1


async def test_an_empty_database_asks_for_migrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a config whose database was never created
    path = write_config(tmp_path, free_port())

    # When the doctor runs
    code = await run_checks(path)

    # Then the migrations check fails and says what to run
    output = capsys.readouterr().out
    assert report_lines(output)["migrations"] == "FAIL"
    assert "run `quartiers migrate`" in output
    assert code == 1


async def test_mismatched_instance_keys_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an instance actor whose public key is not its private key's
    path = await new_instance(tmp_path, free_port())
    other = await new_instance(tmp_path / "other", free_port())
    database = Database(load_settings(path, environ={}).database_url)
    other_database = Database(load_settings(other, environ={}).database_url)
    try:
        async with other_database.session() as session:
            foreign = await session.scalar(
                Actor.__table__.select()
                .with_only_columns(Actor.public_key_pem)
                .where(Actor.username == INSTANCE_USERNAME)
            )
        async with database.transaction() as session:
            await session.execute(
                update(Actor)
                .where(Actor.username == INSTANCE_USERNAME)
                .values(public_key_pem=foreign)
            )
    finally:
        await database.dispose()
        await other_database.dispose()

    # When the doctor runs
    code = await run_checks(path)

    # Then the keys check fails with what to do
    output = capsys.readouterr().out
    assert report_lines(output)["keys"] == "FAIL"
    assert "restore them from a backup" in output
    assert code == 1
