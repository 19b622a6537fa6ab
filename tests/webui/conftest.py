"""Fixtures of the page tests."""

from __future__ import annotations

import httpx2
import pytest

from actors.services import create_group
from config.settings import Settings
from storage.database import Database
from tests.webui.web_support import Resident, log_in_as


@pytest.fixture
async def organiser(client: httpx2.AsyncClient, settings: Settings, database: Database) -> Resident:
    """jeanmarc, logged in, admin of the repair café."""
    jeanmarc = await log_in_as(client, settings, database, "jeanmarc")
    async with database.transaction() as session:
        await create_group(session, settings, "repair-cafe", "space", "jeanmarc")
    return jeanmarc
