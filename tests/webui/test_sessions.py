"""Sessions live on the server: logging out, a new password or a suspension ends every copy of
the cookie; https instances send it with ``Secure``."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx2
import pytest
from sqlalchemy import func, select, update

from actors.accounts import set_suspended
from config.settings import Settings
from storage.database import Database
from storage.models import WebSession, utcnow
from tests.actors.actor_support import use_session_keys
from tests.webui.test_accounts import HTML, PASSWORD, client_for, log_in, submit
from tests.webui.web_support import resident
from webui.session import SESSION_COOKIE


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


def copy_session(source: httpx2.AsyncClient, target: httpx2.AsyncClient) -> None:
    """What someone who reads the cookie off a browser can do with it."""
    cookie = source.cookies.get(SESSION_COOKIE)
    assert cookie
    target.cookies.set(SESSION_COOKIE, cookie)


async def is_logged_in(client: httpx2.AsyncClient) -> bool:
    response = await client.get("/home", headers=HTML)
    assert response.status_code in (200, 303)
    return response.status_code == 200


async def test_an_https_instance_sends_its_session_cookie_with_secure(
    settings: Settings, database: Database
) -> None:
    # Given an instance served over https, with session_https_only left unset
    https = replace(settings, server=replace(settings.server, scheme="https"))
    assert https.webui.session_https_only is None
    await resident(database, https, "amelie")
    async with client_for(https, database) as browser:
        # When a resident logs in
        response = await log_in(browser, "amelie")

        # Then the session cookie may travel over https only
        assert response.status_code == 303
        cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
        session_cookie = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
        assert "secure" in session_cookie.lower()
        assert "httponly" in session_cookie.lower()


async def test_an_http_instance_cannot_mark_its_cookie_secure(
    settings: Settings, database: Database
) -> None:
    # Given an instance on plain http (development), session_https_only left unset
    await resident(database, settings, "amelie")
    async with client_for(settings, database) as browser:
        # When a resident logs in
        response = await log_in(browser, "amelie")

        # Then the cookie has no Secure flag (the browser would never send it back)
        cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
        session_cookie = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
        assert "secure" not in session_cookie.lower()


async def test_logging_out_ends_every_copy_of_the_session(
    settings: Settings, database: Database
) -> None:
    # Given a resident logged in, and someone who copied her session cookie
    await resident(database, settings, "amelie")
    async with client_for(settings, database) as mine, client_for(settings, database) as copy:
        assert (await log_in(mine, "amelie")).status_code == 303
        copy_session(mine, copy)
        assert await is_logged_in(copy)

        # When she logs out
        logged_out = await submit(mine, "/logout", {}, form_page="/home")
        assert logged_out.status_code == 303

        # Then the copy is refused too, and the session's row is gone
        assert not await is_logged_in(copy)
        assert not await is_logged_in(mine)
        async with database.session() as session:
            assert await session.scalar(select(func.count()).select_from(WebSession)) == 0


async def test_a_password_change_ends_a_copied_session_but_not_the_one_that_changed_it(
    settings: Settings, database: Database
) -> None:
    # Given a resident logged in, and someone who copied her session cookie
    await resident(database, settings, "amelie")
    async with client_for(settings, database) as mine, client_for(settings, database) as copy:
        assert (await log_in(mine, "amelie")).status_code == 303
        copy_session(mine, copy)
        assert await is_logged_in(copy)
        # (and her phone, logged in separately)
        async with client_for(settings, database) as phone:
            assert (await log_in(phone, "amelie")).status_code == 303

            # When she changes her password
            new = "une toute nouvelle phrase"
            changed = await submit(
                mine,
                "/settings/password",
                {"current_password": PASSWORD, "new_password": new, "new_password_confirm": new},
                form_page="/settings",
            )
            assert changed.status_code == 303

            # Then the browser she used goes on, the copy and the phone are logged out
            assert await is_logged_in(mine)
            assert not await is_logged_in(copy)
            assert not await is_logged_in(phone)


async def test_a_suspension_ends_the_sessions_for_good(
    settings: Settings, database: Database
) -> None:
    # Given a resident logged in
    account, _ = await resident(database, settings, "amelie")
    async with client_for(settings, database) as mine:
        assert (await log_in(mine, "amelie")).status_code == 303

        # When an admin suspends her, then restores her
        async with database.transaction() as session:
            await set_suspended(session, account.id, True)
        suspended = await is_logged_in(mine)
        async with database.transaction() as session:
            await set_suspended(session, account.id, False)

        # Then her session ended with the suspension and does not come back with the restore
        assert not suspended
        assert not await is_logged_in(mine)
        assert (await log_in(mine, "amelie")).status_code == 303
        assert await is_logged_in(mine)


async def test_a_session_unused_for_thirty_days_has_ended(
    settings: Settings, database: Database
) -> None:
    # Given a resident logged in, whose browser then stays closed for 31 days
    await resident(database, settings, "amelie")
    async with client_for(settings, database) as mine:
        assert (await log_in(mine, "amelie")).status_code == 303
        assert await is_logged_in(mine)
        async with database.transaction() as session:
            await session.execute(
                update(WebSession).values(last_seen_at=utcnow() - timedelta(days=31))
            )

        # When the browser comes back with the same cookie
        # Then the session is over
        assert not await is_logged_in(mine)


async def test_a_resident_sees_her_sessions_and_ends_the_others(
    settings: Settings, database: Database
) -> None:
    # Given a resident logged in on her computer and on a phone she lent
    await resident(database, settings, "amelie")
    async with client_for(settings, database) as mine, client_for(settings, database) as lent:
        assert (await log_in(mine, "amelie")).status_code == 303
        lent.headers["User-Agent"] = "Phone of a neighbour"
        assert (await log_in(lent, "amelie")).status_code == 303

        # When she opens the list of her sessions
        page = await mine.get("/settings/sessions", headers=HTML)

        # Then both are there, hers marked
        assert page.status_code == 200
        assert "Phone of a neighbour" in page.text and "ce navigateur" in page.text

        # When she ends every other session
        ended = await submit(
            mine, "/settings/sessions/end", {"session": "others"}, form_page="/settings/sessions"
        )

        # Then the phone is logged out, her computer is not
        assert ended.status_code == 303
        assert not await is_logged_in(lent)
        assert await is_logged_in(mine)
        async with database.session() as session:
            assert await session.scalar(select(func.count()).select_from(WebSession)) == 1
