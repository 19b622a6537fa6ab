"""Failed logins counted in a sliding window, per client address and per username.

In memory, per process: enough to slow down guessing on a small instance. Behind a reverse proxy
the client address must be the real one (uvicorn ``--proxy-headers``), or every resident shares
the proxy's counter. Several web processes each keep their own counts, which only multiplies the
allowance by the number of processes.
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


class LoginLimiter:
    """``retry_after`` before checking a password, ``record_failure`` / ``record_success`` after."""

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


def minutes_to_wait(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def _username_key(username: str) -> str:
    return username.strip().lstrip("@").lower()
