"""The federation health page keys servers by authority: a failing server is not hidden by a
healthy one on the same host name."""

from __future__ import annotations

import random

import httpx2
import pytest

from config.settings import Settings
from outbox.worker import DeliveryWorker
from storage.database import Database
from tests.actors.actor_support import use_session_keys
from tests.outbox.outbox_support import RemoteInboxes, deliveries, enqueue, host_row
from tests.webui.web_support import log_in_as

HTML = {"Accept": "text/html"}
HEALTHY = "http://127.0.0.1:8001/inbox"
FAILING = "http://127.0.0.1:8002/inbox"


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


async def test_a_failing_server_shows_beside_a_healthy_one_on_the_same_host_name(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given two servers on one host name, one answering 202 and one 503, each sent an activity
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    await enqueue(database, admin.actor, [HEALTHY, FAILING])
    remote = RemoteInboxes(
        lambda request: httpx2.Response(503 if request.url.port == 8002 else 202)
    )
    worker = DeliveryWorker(database, remote.client(), rng=random.Random(3))

    # When the deliveries are attempted
    assert await worker.run_once() == 2

    # Then each row and each host record is keyed by host and port
    assert {row.host for row in await deliveries(database)} == {
        "127.0.0.1:8001",
        "127.0.0.1:8002",
    }
    failing = await host_row(database, "127.0.0.1:8002")
    healthy = await host_row(database, "127.0.0.1:8001")
    assert failing is not None and failing.consecutive_failures == 1
    assert healthy is not None and healthy.consecutive_failures == 0

    # And the health page lists the failing server, and not the healthy one
    page = await client.get("/admin/health", headers=HTML)
    assert page.status_code == 200
    assert '<th scope="row">127.0.0.1:8002</th>' in page.text
    assert '<th scope="row">127.0.0.1:8001</th>' not in page.text
