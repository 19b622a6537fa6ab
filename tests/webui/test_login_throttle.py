"""Logging in under attack: a guesser slows himself, not the account's owner, and the owner
always gets in from a browser she has logged in from before (a known device)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
import pytest
from starlette.applications import Starlette

from actors.login_limits import GrowingDelay, LoginThrottle
from config.settings import Settings
from quartiers.app import create_app
from storage.database import Database
from tests.actors.actor_support import use_session_keys
from tests.webui.test_accounts import HTML, PASSWORD, log_in, submit
from tests.webui.web_support import resident
from webui.devices import DEVICE_COOKIE

WRONG = "not the password at all"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


@asynccontextmanager
async def browser(app: Starlette, settings: Settings, address: str) -> AsyncIterator[
    httpx2.AsyncClient
]:  # fmt: skip
    """A browser of its own (cookies), connecting from ``address``."""
    transport = httpx2.ASGITransport(app=app, client=(address, 50_000))
    async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        yield client


async def test_a_guesser_from_one_address_slows_only_himself(
    settings: Settings, database: Database
) -> None:
    # Given the instance's admin, and a guesser at her password from one address
    await resident(database, settings, "gerante", admin=True)
    clock = Clock()
    app = create_app(settings, database=database, run_workers=False)
    app.state.login_limiter = LoginThrottle(database, clock=clock)
    async with browser(app, settings, "203.0.113.9") as guesser:
        # When he fails five times, then goes on each time he is allowed to
        for _ in range(5):
            assert (await log_in(guesser, "gerante", WRONG)).status_code == 400
        waits = []
        for _ in range(3):
            refused = await log_in(guesser, "gerante", WRONG)
            assert refused.status_code == 429
            waits.append(int(refused.headers["retry-after"]))
            clock.now += waits[-1]
            assert (await log_in(guesser, "gerante", WRONG)).status_code == 400
        # (even the right password waits its turn from there)
        assert (await log_in(guesser, "gerante")).status_code == 429

    # Then he waits longer each time
    assert waits[0] < waits[1] < waits[2]

    # And the admin, from her own address on a new browser, gets in at once
    async with browser(app, settings, "198.51.100.7") as owner:
        assert (await log_in(owner, "gerante", next_path="/admin")).status_code == 303
        assert (await owner.get("/admin", headers=HTML)).status_code == 200


async def test_the_owner_gets_in_from_a_known_device_while_many_addresses_guess(
    settings: Settings, database: Database
) -> None:
    # Given the admin, who has logged in before from her laptop at the café
    await resident(database, settings, "gerante", admin=True)
    clock = Clock()
    app = create_app(settings, database=database, run_workers=False)
    app.state.login_limiter = LoginThrottle(database, per_account=GrowingDelay(free=3), clock=clock)
    async with browser(app, settings, "203.0.113.1") as laptop:
        assert (await log_in(laptop, "gerante")).status_code == 303
        assert laptop.cookies.get(DEVICE_COOKIE)
        assert (await submit(laptop, "/logout", {}, form_page="/home")).status_code == 303

        # When guessers from several addresses, the café's included, fail at her account
        for n in range(1, 4):
            async with browser(app, settings, f"203.0.113.{n}") as guesser:
                assert (await log_in(guesser, "gerante", WRONG)).status_code == 400

        # Then a new browser must wait, even with the right password
        async with browser(app, settings, "198.51.100.7") as new_browser:
            assert (await log_in(new_browser, "gerante")).status_code == 429

        # But her laptop gets in at once, from the same café
        assert (await log_in(laptop, "gerante", next_path="/admin")).status_code == 303
        assert (await laptop.get("/admin", headers=HTML)).status_code == 200


async def test_a_forged_device_cookie_is_not_a_known_device(
    settings: Settings, database: Database
) -> None:
    # Given an account under a guessing attack from many addresses
    await resident(database, settings, "gerante", admin=True)
    app = create_app(settings, database=database, run_workers=False)
    app.state.login_limiter = LoginThrottle(
        database, per_account=GrowingDelay(free=2), clock=Clock()
    )
    for n in range(1, 3):
        async with browser(app, settings, f"203.0.113.{n}") as guesser:
            assert (await log_in(guesser, "gerante", WRONG)).status_code == 400

    # When a browser comes with a device cookie it made up
    async with browser(app, settings, "203.0.113.50") as forger:
        forger.cookies.set(DEVICE_COOKIE, '{"gerante": "laptop"}')

        # Then it is throttled like any new browser
        assert (await log_in(forger, "gerante", PASSWORD)).status_code == 429


async def test_two_web_processes_share_the_counts(settings: Settings, database: Database) -> None:
    # Given an instance served by two web processes (two apps on one database)
    await resident(database, settings, "gerante", admin=True)
    clock = Clock()
    first = create_app(settings, database=database, run_workers=False)
    second = create_app(settings, database=database, run_workers=False)
    first.state.login_limiter = LoginThrottle(database, clock=clock)
    second.state.login_limiter = LoginThrottle(database, clock=clock)

    # When a guesser spreads his five free failures over both
    for n in range(5):
        app = first if n % 2 else second
        async with browser(app, settings, "203.0.113.9") as guesser:
            assert (await log_in(guesser, "gerante", WRONG)).status_code == 400

    # Then both make him wait for his sixth try
    for app in (first, second):
        async with browser(app, settings, "203.0.113.9") as guesser:
            assert (await log_in(guesser, "gerante", WRONG)).status_code == 429
