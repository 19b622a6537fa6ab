"""How often someone may guess a password: logins (:class:`LoginThrottle`) and reset mails
(:class:`WindowLimiter`).

The login rule (the README's "Logging in" says it for people):

- Failures are counted per **client address and account together**, per **client address**
  and per **account**; after a few free failures each count asks for a growing delay (2 s,
  then doubling, at most 15 minutes) before the next try, and is forgotten after a quiet day.
  A guesser from one address therefore slows himself down; the account's owner, elsewhere, is
  not slowed by him. The account's own count (guessing from many addresses) is generous.
- A **known device** — a browser that has logged in to this account before and holds its
  signed device cookie — is counted on its own and never by the account or address counts, so
  its owner always gets in, however hard the account is being guessed at (OWASP's "device
  cookies"; GitLab and Nextcloud work alike).
- A successful login clears its pair, account and device counts; an address count stays.

Nothing sleeps on the server: a try that comes too early is answered at once with 429 and
``Retry-After``. The login counts are kept in the database, so several web processes share
them; the reset-mail limits are kept in memory, per process. Behind a reverse proxy the client
address must be the real one (uvicorn ``--proxy-headers``).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.models import LoginFailure

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_USERNAME = 5
# A whole building may share one address (one box, one association's office).
MAX_FAILURES_PER_ADDRESS = 20
MAX_TRACKED_KEYS = 10_000
MAX_KEY_NAME = 200
QUIET_DAY = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Limit:
    max_failures: int
    window_seconds: float


class SlidingWindow:
    """Timestamps of recent failures per key; the oldest keys are forgotten past a bound."""

    def __init__(self, limit: Limit, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        horizon = self.clock() - self.limit.window_seconds
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        failures = self._recent(key)
        if len(failures) < self.limit.max_failures:
            return 0.0
        oldest_counted = failures[-self.limit.max_failures]
        return max(0.0, oldest_counted + self.limit.window_seconds - self.clock())

    def record(self, key: str) -> None:
        failures = self._failures.setdefault(key, deque(maxlen=self.limit.max_failures))
        self._failures.move_to_end(key)
        failures.append(self.clock())
        while len(self._failures) > MAX_TRACKED_KEYS:
            self._failures.popitem(last=False)

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)


class WindowLimiter:
    """At most so many events per key in a sliding window, per address and per name (mails)."""

    def __init__(
        self,
        *,
        per_username: Limit = Limit(MAX_FAILURES_PER_USERNAME, WINDOW_SECONDS),
        per_address: Limit = Limit(MAX_FAILURES_PER_ADDRESS, WINDOW_SECONDS),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._usernames = SlidingWindow(per_username, clock)
        self._addresses = SlidingWindow(per_address, clock)

    def retry_after(self, address: str, username: str) -> float:
        return max(
            self._addresses.retry_after(address),
            self._usernames.retry_after(_username_key(username)),
        )

    def record_failure(self, address: str, username: str) -> None:
        self._addresses.record(address)
        self._usernames.record(_username_key(username))

    def record_success(self, username: str) -> None:
        self._usernames.reset(_username_key(username))


@dataclass(frozen=True, slots=True)
class GrowingDelay:
    """After ``free`` failures, wait ``first`` seconds, doubling with each failure, at most
    ``longest``; the count is forgotten ``forget_after`` seconds after the last failure."""

    free: int
    first: float = 2.0
    longest: float = 15 * 60.0
    forget_after: float = QUIET_DAY

    def wait_after(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return float(min(self.first * 2 ** min(failures - self.free, 32), self.longest))


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """Who tries: from which address, for which account, and on which known device (if any)."""

    address: str
    username: str
    device: str | None = None
    """The id in this browser's device cookie when it is valid for ``username``."""


PER_ADDRESS_AND_ACCOUNT = GrowingDelay(free=5)
PER_ADDRESS = GrowingDelay(free=20)
PER_ACCOUNT = GrowingDelay(free=20)
PER_KNOWN_DEVICE = GrowingDelay(free=5)


class LoginThrottle:
    """``retry_after`` before checking a password, ``record_failure`` / ``record_success`` after.

    The counts live in the database (``login_failures``), so every web process of the instance
    sees the same ones; the clock is the wall clock, which those processes share.
    """

    def __init__(
        self,
        database: Database,
        *,
        per_address_and_account: GrowingDelay = PER_ADDRESS_AND_ACCOUNT,
        per_address: GrowingDelay = PER_ADDRESS,
        per_account: GrowingDelay = PER_ACCOUNT,
        per_known_device: GrowingDelay = PER_KNOWN_DEVICE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.clock = clock
        self._delays = {
            "pair": per_address_and_account,
            "address": per_address,
            "account": per_account,
            "device": per_known_device,
        }

    def _counted(self, attempt: LoginAttempt) -> dict[str, GrowingDelay]:
        """The keys an attempt is counted under, each with its rule."""
        if attempt.device is not None:
            return {f"device:{attempt.device}": self._delays["device"]}
        account = _username_key(attempt.username)
        return {
            f"pair:{attempt.address} {account}": self._delays["pair"],
            f"address:{attempt.address}": self._delays["address"],
            f"account:{account}": self._delays["account"],
        }

    async def retry_after(self, attempt: LoginAttempt) -> float:
        """Seconds until this attempt may be made; 0 when it may be now."""
        counted = self._counted(attempt)
        async with self.database.session() as session:
            rows = (
                await session.execute(
                    select(
                        LoginFailure.key, LoginFailure.failures, LoginFailure.last_failure
                    ).where(LoginFailure.key.in_(list(counted)))
                )
            ).all()
        now = self.clock()
        waits = [0.0]
        for key, failures, last in rows:
            delay = counted[key]
            if now - last < delay.forget_after:
                waits.append(max(0.0, last + delay.wait_after(failures) - now))
        return max(waits)

    async def record_failure(self, attempt: LoginAttempt) -> None:
        """Count one more failure under each key; a count quiet for a day starts again at one."""
        now = self.clock()
        async with self.database.transaction() as session:
            for key, delay in self._counted(attempt).items():
                await _count_failure(session, key, now, forget_before=now - delay.forget_after)

    async def record_success(self, attempt: LoginAttempt) -> None:
        """Forget the pair, account and device counts; an address count stays (others there
        may still be guessing)."""
        account = _username_key(attempt.username)
        keys = [f"pair:{attempt.address} {account}", f"account:{account}"]
        if attempt.device is not None:
            keys.append(f"device:{attempt.device}")
        async with self.database.transaction() as session:
            await session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))


async def _count_failure(session: AsyncSession, key: str, now: float, forget_before: float) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = LoginFailure.__table__
    statement = insert(LoginFailure).values(key=key, failures=1, last_failure=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case(
                    (table.c.last_failure < forget_before, 1), else_=table.c.failures + 1
                ),
                "last_failure": now,
            },
        )
    )


async def forget_quiet_failures(session: AsyncSession, now: float | None = None) -> int:
    """Delete the counts with no failure for a quiet day; returns how many went."""
    horizon = (time.time() if now is None else now) - QUIET_DAY
    result = await session.execute(delete(LoginFailure).where(LoginFailure.last_failure < horizon))
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


def seconds_to_wait(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def minutes_to_wait(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def _username_key(username: str) -> str:
    """The account a login form names, as counted (bounded: the form's field is free text)."""
    return username.strip().lstrip("@").lower()[:MAX_KEY_NAME]
