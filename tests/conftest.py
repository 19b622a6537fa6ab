"""Fixtures every test package may use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from config.settings import Settings
from federation import keys, vocab
from federation.signatures import _date_header
from federation.signatures.cavage import parse_signature_header
from quartiers.app import create_app
from storage.database import Database
from tests.mutation_order import fastest_first
from tests.required_parts import REQUIRE_ENV, missing_parts, required_parts
from tests.support import POSTGRES_URL_ENV, fresh_database, make_settings, postgres_url


def pytest_configure(config: pytest.Config) -> None:
    """With ``QUARTIERS_TEST_REQUIRE``, stop at once when a required part is missing."""
    try:
        missing = missing_parts()
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    if missing:
        raise pytest.UsageError(f"{REQUIRE_ENV} requires what is missing: " + "; ".join(missing))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    fastest_first(items)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With ``QUARTIERS_TEST_REQUIRE``, a skipped test fails the run: nothing hides."""
    if not required_parts():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.write_sep(
                "=", f"{len(skipped)} skipped while {REQUIRE_ENV} is set: the run fails", red=True
            )


# What the federation code keeps from one call to the next, by the text it was given.
PARSED_ON_THE_WAY_IN = (
    keys.load_private_key,
    keys.load_public_key,
    parse_signature_header,
    _date_header,
    vocab._origin_of,
)


@pytest.fixture(autouse=True)
def parse_afresh() -> None:
    """Each test reads its own keys, signature headers, dates and origins: an answer kept from
    an earlier test, or from the process a mutation run forks each mutant from, would stand in
    for the code the test means to run."""
    for cached in PARSED_ON_THE_WAY_IN:
        cached.cache_clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostgreSQL (skipped without a server)."""
    kind: str = request.param
    if kind == "postgresql" and postgres_url() is None:
        pytest.skip(f"PostgreSQL case: set {POSTGRES_URL_ENV} to run it")
    return kind


@pytest.fixture
async def database(database_kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    async with fresh_database(database_kind, tmp_path) as database:
        yield database


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    async with fresh_database("sqlite", tmp_path) as database:
        yield database


@pytest.fixture
def settings() -> Settings:
    return make_settings("paquis.test")


@pytest.fixture
async def client(settings: Settings, database: Database) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(settings, database=database, run_workers=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        yield client
