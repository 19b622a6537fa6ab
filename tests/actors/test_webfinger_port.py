"""An instance whose domain carries a port (development): both forms of the host are ours."""

from __future__ import annotations

import httpx2
import pytest

from config.settings import Settings
from storage.database import Database
from tests.actors.actor_support import AP_ACCEPT, seed_neighbourhood
from tests.support import make_settings


@pytest.fixture
def settings() -> Settings:
    return make_settings("paquis.test:8000")


@pytest.mark.parametrize("host", ["paquis.test", "paquis.test:8000"])
async def test_the_host_is_ours_with_and_without_its_port(
    client: httpx2.AsyncClient, database: Database, settings: Settings, host: str
) -> None:
    await seed_neighbourhood(database, settings)
    response = await client.get("/.well-known/webfinger", params={"resource": f"acct:alice@{host}"})
    assert response.status_code == 200
    document = response.json()
    assert document["subject"] == f"acct:alice@{host}"
    assert document["links"][0]["href"] == "http://paquis.test:8000/@alice"


async def test_the_actor_publishes_its_webfinger_address_with_the_port(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    await seed_neighbourhood(database, settings)
    response = await client.get("/@alice", headers={"Accept": AP_ACCEPT})
    assert response.json()["webfinger"] == "alice@paquis.test:8000"
    by_uri = await client.get(
        "/.well-known/webfinger", params={"resource": "http://paquis.test:8000/@alice"}
    )
    assert by_uri.json()["subject"] == "acct:alice@paquis.test:8000"
