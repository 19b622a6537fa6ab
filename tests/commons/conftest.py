"""Fixtures of the commons tests."""

from __future__ import annotations

import pytest

from config.settings import Settings
from storage.database import Database
from tests.commons.event_support import Quartier, make_quartier


@pytest.fixture
async def quartier(database: Database, settings: Settings) -> Quartier:
    return await make_quartier(database, settings)
