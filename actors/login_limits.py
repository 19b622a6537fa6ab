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
``Retry-After``. In memory, per process: several web processes each keep their own counts.
Behind a reverse proxy the client address must be the real one (uvicorn ``--proxy-headers``).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_USERNAME = 5
# A whole building may share one address (one box, one association's office).
MAX_FAILURES_PER_ADDRESS = 20
MAX_TRACKED_KEYS = 10_000
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


class FailureCounts:
    """Per key: how many failures, and when the last one was; the oldest keys go past a bound."""

    def __init__(self, delay: GrowingDelay, clock: Callable[[], float]) -> None:
        self.delay = delay
        self.clock = clock
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        found = self._counts.get(key)
        if found is None:
            return 0.0
        failures, last = found
        now = self.clock()
        if now - last >= self.delay.forget_after:
            del self._counts[key]
            return 0.0
        return max(0.0, last + self.delay.wait_after(failures) - now)

    def record(self, key: str) -> None:
        failures, last = self._counts.pop(key, (0, 0.0))
        if self.clock() - last >= self.delay.forget_after:
            failures = 0
        self._counts[key] = (failures + 1, self.clock())
        while len(self._counts) > MAX_TRACKED_KEYS:
            self._counts.popitem(last=False)

    def reset(self, key: str) -> None:
        self._counts.pop(key, None)


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
    """``retry_after`` before checking a password, ``record_failure`` / ``record_success`` after."""

    def __init__(
        self,
        *,
        per_address_and_account: GrowingDelay = PER_ADDRESS_AND_ACCOUNT,
        per_address: GrowingDelay = PER_ADDRESS,
        per_account: GrowingDelay = PER_ACCOUNT,
        per_known_device: GrowingDelay = PER_KNOWN_DEVICE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pairs = FailureCounts(per_address_and_account, clock)
        self._addresses = FailureCounts(per_address, clock)
        self._accounts = FailureCounts(per_account, clock)
        self._devices = FailureCounts(per_known_device, clock)

    def retry_after(self, attempt: LoginAttempt) -> float:
        if attempt.device is not None:
            return self._devices.retry_after(attempt.device)
        account = _username_key(attempt.username)
        return max(
            self._pairs.retry_after(f"{attempt.address} {account}"),
            self._addresses.retry_after(attempt.address),
            self._accounts.retry_after(account),
        )

    def record_failure(self, attempt: LoginAttempt) -> None:
        if attempt.device is not None:
            self._devices.record(attempt.device)
            return
        account = _username_key(attempt.username)
        self._pairs.record(f"{attempt.address} {account}")
        self._addresses.record(attempt.address)
        self._accounts.record(account)

    def record_success(self, attempt: LoginAttempt) -> None:
        account = _username_key(attempt.username)
        self._pairs.reset(f"{attempt.address} {account}")
        self._accounts.reset(account)
        if attempt.device is not None:
            self._devices.reset(attempt.device)


def seconds_to_wait(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def minutes_to_wait(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def _username_key(username: str) -> str:
    return username.strip().lstrip("@").lower()
