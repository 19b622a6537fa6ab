"""The hourly tidying: sessions unused for a month and login counts quiet for a day are deleted,
everything still in use is kept."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from actors.housekeeping import Housekeeping
from actors.login_limits import LoginAttempt, LoginThrottle
from actors.web_sessions import open_session, session_id
from config.settings import Settings
from storage.database import Database
from storage.models import LoginFailure, WebSession, utcnow
from tests.webui.web_support import resident


async def test_ended_sessions_and_quiet_counts_go_and_the_rest_stays(
    database: Database, settings: Settings
) -> None:
    # Given Amélie logged in on a phone a month and a day ago and on her laptop this morning
    account, _actor = await resident(database, settings, "amelie")
    now = utcnow()
    async with database.transaction() as session:
        phone = await open_session(session, account.id, "phone")
        laptop = await open_session(session, account.id, "laptop")
        await session.execute(
            update(WebSession)
            .where(WebSession.id == session_id(phone))
            .values(last_seen_at=now - timedelta(days=31))
        )
    # and a guesser who gave up two days ago, and one who failed an hour ago
    old = LoginThrottle(database, clock=lambda: (now - timedelta(days=2)).timestamp())
    await old.record_failure(LoginAttempt("203.0.113.9", "gerante"))
    recent = LoginThrottle(database, clock=lambda: (now - timedelta(hours=1)).timestamp())
    await recent.record_failure(LoginAttempt("198.51.100.7", "amelie"))

    # When the tidying runs
    tidied = await Housekeeping(database, clock=lambda: now).run_once()

    # Then the phone's session and the old guesser's counts are gone, the rest is kept
    assert (tidied.sessions, tidied.login_counts) == (1, 3)
    async with database.session() as session:
        sessions = set(await session.scalars(select(WebSession.id)))
        counted = set(await session.scalars(select(LoginFailure.key)))
    assert sessions == {session_id(laptop)}
    assert counted == {"pair:198.51.100.7 amelie", "address:198.51.100.7", "account:amelie"}


async def test_the_tidying_stops_with_the_workers(database: Database) -> None:
    # Given the tidying running every hour
    stop = asyncio.Event()
    running = asyncio.create_task(Housekeeping(database).run_forever(stop))
    await asyncio.sleep(0.05)

    # When the workers stop, it stops at once rather than after its hour
    stop.set()
    await asyncio.wait_for(running, timeout=5)
