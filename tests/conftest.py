"""Fixtures every test package may use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from quartiers.app import create_app
from quartiers.settings import Settings
from storage.database import Database
from tests.support import POSTGRES_URL_ENV, fresh_database, make_settings, postgres_url


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
