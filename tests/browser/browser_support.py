"""Real instances for the browser tests: ``quartiers serve`` on free loopback ports, and Chromium.

Each instance is a folder with its own ``config.toml`` (written by ``quartiers init --domain
127.0.0.1:PORT``, which allows private addresses for loopback) and its own SQLite database. Its
queue workers run inside ``serve``, so two instances federate over real HTTP.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from config.settings import Settings, load_settings
from storage.database import Database
from storage.models import Account
from tests.quartiers.cli_support import free_port, run_quartiers, serving
from tests.webui.web_support import session_cookie
from webui.session import SESSION_COOKIE, open_session_data

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

CHROMIUM_CANDIDATES = ("/usr/bin/chromium",)
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
FEDERATION_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.25
STEP_TIMEOUT_MS = 20_000
PASSWORD = "une phrase de passe"
FRENCH = "fr-CH"


def find_chromium() -> str | None:
    for candidate in (*CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_chromium() -> str:
    """The Chromium executable; the test is skipped, saying what to install, without it."""
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package is not installed: pip install -e '.[test]'")
    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium not installed: apt-get install chromium")
    return executable


@asynccontextmanager
async def launched_browser(executable: str) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            await browser.close()


async def new_context(
    browser: Browser, *, locale: str = FRENCH, phone: bool = False
) -> BrowserContext:
    """A fresh profile (no cookies) whose browser prefers French, like most Genevans'."""
    if phone:
        context = await browser.new_context(
            locale=locale,
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
    else:
        context = await browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def wait_for_heading(page: Page, name: str) -> None:
    """Wait until a heading named ``name`` is visible; fail with where the browser is instead.

    After a form's redirect the new page can take a while on a loaded machine. When it never
    comes, the failure names the address and the start of what the page says (a form shown
    back with its errors, a refusal…), so a failure in CI can be understood from its log.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.get_by_role("heading", name=name).first.wait_for()
    except PlaywrightTimeout:
        text = " ".join((await page.locator("body").inner_text()).split())
        raise AssertionError(
            f"no heading {name!r} within {STEP_TIMEOUT_MS / 1000:.0f} s; "
            f"the page is {page.url} and says: {text[:800]}"
        ) from None


async def poll_until(
    check: Callable[[], Awaitable[bool]],
    what: str,
    within_seconds: float = FEDERATION_WAIT_SECONDS,
) -> None:
    """Call ``check`` every ``POLL_SECONDS`` until it is true; fail naming ``what`` after
    ``within_seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_seconds
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not seen within {within_seconds:.0f} s")
        await asyncio.sleep(POLL_SECONDS)


@dataclass
class LiveInstance:
    """One instance in its folder; :meth:`serving` runs ``quartiers serve`` for it."""

    name: str
    directory: Path
    port: int

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def log(self) -> str:
        path = self.directory / "serve.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def quartiers(self, *arguments: str, stdin: str = "") -> str:
        result = run_quartiers(self.directory, *arguments, stdin=stdin)
        assert result.returncode == 0, f"quartiers {' '.join(arguments)}: {result.stderr}"
        return result.stdout

    def create_account(
        self, username: str, *, admin: bool = False, name: str = "", password: str = PASSWORD
    ) -> None:
        extra = ["--admin"] if admin else []
        self.quartiers(
            "account", "create", username, "--password-stdin", "--name", name, *extra,
            stdin=password + "\n",
        )  # fmt: skip

    def create_group(self, name: str, kind: str, owner: str, display_name: str = "") -> None:
        self.quartiers(
            "group", "create", name, "--kind", kind, "--owner", owner,
            "--display-name", display_name,
        )  # fmt: skip

    def token(self, username: str) -> str:
        return self.quartiers("token", "create", username).strip()

    def settings(self) -> Settings:
        return load_settings(self.directory / "config.toml", environ={})

    def database(self) -> Database:
        return Database(self.settings().database_url)

    async def session_cookie(self, account: Account, csrf: str = "browser-test") -> dict[str, str]:
        """A logged-in session cookie for ``account``, for Playwright's ``add_cookies``."""
        settings = self.settings()
        database = self.database()
        try:
            data = await open_session_data(database, account, csrf=csrf)
        finally:
            await database.dispose()
        value = session_cookie(settings, data)
        return {"name": SESSION_COOKIE, "value": value, "url": self.base_url}

    @contextmanager
    def serving(self) -> Iterator[subprocess.Popen[bytes]]:
        with serving(self.directory, self.port) as process:
            yield process


def prepare_instance(root: Path, name: str) -> LiveInstance:
    """``quartiers init`` for a new instance on a free loopback port (not serving yet)."""
    directory = root / name
    directory.mkdir(parents=True)
    instance = LiveInstance(name, directory, free_port())
    instance.quartiers("init", "--domain", instance.domain, "--name", f"Quartier {name.title()}")
    return instance
