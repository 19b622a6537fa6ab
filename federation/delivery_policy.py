"""What to do after a delivery attempt: a pure policy, so workers and tests share it.

| outcome                                          | kind                                   |
|--------------------------------------------------|----------------------------------------|
| 2xx                                              | DELIVERED                              |
| 410                                              | GONE (the caller marks the actor gone) |
| 404, other 4xx (not 401/408/429), 1xx, 3xx       | GIVE_UP                                |
| 429, 503                                         | RETRY at Retry-After (capped), else backoff |
| 401, 408, other 5xx, timeout, connection error   | RETRY with exponential backoff + jitter |
| first attempt older than `give_up_after` (7 d)   | GIVE_UP                                |

401 is retried: the client already double-knocked both schemes, so a 401 now
usually means the receiver could not fetch our key yet (or its clock is off).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol


class Random(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


class DeliveryKind(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GIVE_UP = "give_up"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    kind: DeliveryKind
    reason: str
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=12)
    give_up_after: timedelta = timedelta(days=7)


DEFAULT_RETRY_POLICY = RetryPolicy()
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_BACKOFF_4XX = frozenset({401, 408})


def backoff_delay(
    attempts: int, rng: Random, policy: RetryPolicy = DEFAULT_RETRY_POLICY
) -> timedelta:
    """Exponential backoff with full jitter, never below the base delay nor above the cap."""
    base = policy.base_delay.total_seconds()
    cap = policy.max_delay.total_seconds()
    ceiling = min(cap, base * 2 ** min(max(attempts, 1), 40))
    return timedelta(seconds=rng.uniform(base, max(base, ceiling)))


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as delta-seconds or an HTTP-date; None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        # Nine digits are 31 years, longer than any wait: a longer number is read as that, as
        # no timedelta could hold it (the policy caps the wait far lower anyway).
        return timedelta(seconds=int(text) if len(text) <= 9 else 999_999_999)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment - now, timedelta(0))


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def classify_delivery(
    status: int | None,
    headers: Mapping[str, str] | None,
    error: str | None,
    attempts: int,
    first_attempt_at: datetime,
    now: datetime,
    rng: Random,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> DeliveryOutcome:
    """Classify one attempt. `attempts` counts this one; `error` names a no-status failure."""
    if status is not None and 200 <= status < 300:
        return DeliveryOutcome(DeliveryKind.DELIVERED, f"HTTP {status}")
    if status == 410:
        return DeliveryOutcome(DeliveryKind.GONE, "HTTP 410 Gone")
    if status is None:
        reason = error or "no response"
        delay = backoff_delay(attempts, rng, policy)
    elif status in _RETRY_AFTER_STATUSES:
        reason = f"HTTP {status}"
        asked = parse_retry_after(_header(headers, "retry-after"), now)
        if asked is None:
            delay = backoff_delay(attempts, rng, policy)
        else:
            delay = min(max(asked, policy.base_delay), policy.max_delay)
    elif status >= 500 or status in _BACKOFF_4XX:
        reason = f"HTTP {status}"
        delay = backoff_delay(attempts, rng, policy)
    else:
        return DeliveryOutcome(DeliveryKind.GIVE_UP, f"HTTP {status}")
    deadline = first_attempt_at + policy.give_up_after
    if now >= deadline:
        return DeliveryOutcome(
            DeliveryKind.GIVE_UP, f"{reason}; retried for {policy.give_up_after}"
        )
    return DeliveryOutcome(DeliveryKind.RETRY, reason, min(now + delay, deadline))


@dataclass(frozen=True, slots=True)
class CircuitBreakerPolicy:
    """Park a host's deliveries when it has failed for a day, or very many times in a row."""

    park_after_failures: int = 200
    park_after: timedelta = timedelta(days=1)
    first_probe_delay: timedelta = timedelta(hours=1)
    max_probe_delay: timedelta = timedelta(hours=24)


DEFAULT_CIRCUIT_BREAKER = CircuitBreakerPolicy()


def host_should_park(
    consecutive_failures: int,
    first_failure_at: datetime | None,
    now: datetime,
    policy: CircuitBreakerPolicy = DEFAULT_CIRCUIT_BREAKER,
) -> bool:
    if consecutive_failures <= 0 or first_failure_at is None:
        return False
    if consecutive_failures >= policy.park_after_failures:
        return True
    return now - first_failure_at >= policy.park_after


def next_probe_at(
    probes_done: int,
    now: datetime,
    rng: Random,
    policy: CircuitBreakerPolicy = DEFAULT_CIRCUIT_BREAKER,
) -> datetime:
    """When a parked host is tried again: doubling from an hour up to a day, ±10 % jitter.

    A successful probe resumes the host's parked rows; a failed one schedules the next.
    """
    seconds = min(
        policy.first_probe_delay.total_seconds() * 2 ** min(probes_done, 20),
        policy.max_probe_delay.total_seconds(),
    )
    return now + timedelta(seconds=seconds * rng.uniform(0.9, 1.1))
