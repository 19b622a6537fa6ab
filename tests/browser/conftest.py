"""Browser fixtures: Chromium (skipped, saying why, when it is missing) and two real instances.

``paquis`` and ``jonction`` are ``quartiers serve`` processes on free loopback ports, each with
its own folder and database, started once per session; they federate over real HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.browser_support import (
    LiveInstance,
    launched_browser,
    prepare_instance,
    require_chromium,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    return require_chromium()


@pytest.fixture
async def browser(chromium_executable: str) -> AsyncIterator[Browser]:
    async with launched_browser(chromium_executable) as browser:
        yield browser


@pytest.fixture(scope="session")
def paquis(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    """Quartier Pâquis, with its admin ``lea``."""
    instance = prepare_instance(tmp_path_factory.mktemp("instances"), "paquis")
    instance.create_account("lea", admin=True, name="Léa")
    with instance.serving():
        yield instance


@pytest.fixture(scope="session")
def jonction(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    """Quartier Jonction, with the resident ``marc`` who runs the repair café ``repair``."""
    instance = prepare_instance(tmp_path_factory.mktemp("instances"), "jonction")
    instance.create_account("marc", name="Marc")
    instance.create_group("repair", "space", "marc", "Repair Café de la Jonction")
    with instance.serving():
        yield instance
