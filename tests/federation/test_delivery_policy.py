"""The delivery policy, one test row per line of the table."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from federation.delivery_policy import (
    DeliveryKind,
    RetryPolicy,
    backoff_delay,
    classify_delivery,
    host_should_park,
    next_probe_at,
    parse_retry_after,
)

FIRST = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NOW = FIRST + timedelta(minutes=10)
CAP = timedelta(hours=12)


class Midpoint:
    """A deterministic rng: always the middle of the range."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


def classify(
    status: int | None,
    headers: dict[str, str] | None = None,
    error: str | None = None,
    attempts: int = 1,
    now: datetime = NOW,
):  # type: ignore[no-untyped-def]
    return classify_delivery(status, headers, error, attempts, FIRST, now, Midpoint())


@pytest.mark.parametrize(
    ("status", "headers", "error", "kind", "delay"),
    [
        (200, None, None, DeliveryKind.DELIVERED, None),
        (202, None, None, DeliveryKind.DELIVERED, None),
        (410, None, None, DeliveryKind.GONE, None),
        (404, None, None, DeliveryKind.GIVE_UP, None),
        (400, None, None, DeliveryKind.GIVE_UP, None),
        (403, None, None, DeliveryKind.GIVE_UP, None),
        (422, None, None, DeliveryKind.GIVE_UP, None),
        (302, None, None, DeliveryKind.GIVE_UP, None),
        (429, {"Retry-After": "120"}, None, DeliveryKind.RETRY, timedelta(seconds=120)),
        (
            503,
            {"retry-after": "Fri, 20 Nov 2026 09:10:00 GMT"},
            None,
            DeliveryKind.RETRY,
            timedelta(hours=1),
        ),
        (429, {"Retry-After": "999999"}, None, DeliveryKind.RETRY, CAP),
        (429, None, None, DeliveryKind.RETRY, timedelta(seconds=45)),
        (500, None, None, DeliveryKind.RETRY, timedelta(seconds=45)),
        (502, None, None, DeliveryKind.RETRY, timedelta(seconds=45)),
        (408, None, None, DeliveryKind.RETRY, timedelta(seconds=45)),
        (401, None, None, DeliveryKind.RETRY, timedelta(seconds=45)),
        (None, None, "timeout", DeliveryKind.RETRY, timedelta(seconds=45)),
        (None, None, "connection refused", DeliveryKind.RETRY, timedelta(seconds=45)),
    ],
)
def test_table(
    status: int | None,
    headers: dict[str, str] | None,
    error: str | None,
    kind: DeliveryKind,
    delay: timedelta | None,
) -> None:
    outcome = classify(status, headers, error)
    assert outcome.kind is kind
    assert outcome.retry_at == (None if delay is None else NOW + delay)


def test_backoff_grows_and_is_capped_at_twelve_hours() -> None:
    delays = [backoff_delay(n, Midpoint()) for n in range(1, 30)]
    assert delays == sorted(delays)
    assert delays[-1] == (timedelta(seconds=30) + CAP) / 2
    rng = random.Random(7)
    assert all(timedelta(seconds=30) <= backoff_delay(n, rng) <= CAP for n in range(1, 60))


def test_gives_up_seven_days_after_the_first_attempt() -> None:
    late = FIRST + timedelta(days=7)
    assert classify(503, now=late, attempts=40).kind is DeliveryKind.GIVE_UP
    assert classify(None, error="timeout", now=late).kind is DeliveryKind.GIVE_UP


def test_last_retry_is_not_scheduled_past_the_deadline() -> None:
    almost = FIRST + timedelta(days=7) - timedelta(minutes=1)
    outcome = classify(500, attempts=30, now=almost)
    assert outcome.kind is DeliveryKind.RETRY
    assert outcome.retry_at == FIRST + timedelta(days=7)


def test_policy_is_configurable() -> None:
    policy = RetryPolicy(base_delay=timedelta(seconds=1), max_delay=timedelta(seconds=4))
    outcome = classify_delivery(500, None, None, 10, FIRST, NOW, Midpoint(), policy)
    assert outcome.retry_at == NOW + timedelta(seconds=2.5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", timedelta(seconds=30)),
        ("Fri, 20 Nov 2026 08:00:00 GMT", timedelta(0)),
        ("soon", None),
        (None, None),
        ("²", None),
        # nine digits are read as they are; from ten, as the longest delay kept
        ("123456789", timedelta(seconds=123_456_789)),
        ("1234567890", timedelta(seconds=999_999_999)),
        # longer than a timedelta holds: read as 31 years, then capped by the policy
        ("99999999999999999999", timedelta(seconds=999_999_999)),
        ("86400000000000", timedelta(seconds=999_999_999)),
    ],
)
def test_parse_retry_after(value: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("failures", "since", "parked"),
    [
        (0, None, False),
        (3, timedelta(hours=2), False),
        (3, timedelta(days=1), True),
        (200, timedelta(minutes=5), True),
    ],
)
def test_host_should_park(failures: int, since: timedelta | None, parked: bool) -> None:
    first_failure = None if since is None else NOW - since
    assert host_should_park(failures, first_failure, NOW) is parked


def test_probes_double_up_to_a_day() -> None:
    probes = [next_probe_at(n, NOW, Midpoint()) - NOW for n in range(8)]
    assert probes[:3] == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=4)]
    assert probes[-1] == timedelta(hours=24)


class Highest:
    """A deterministic rng: always the top of the range."""

    def uniform(self, a: float, b: float) -> float:
        return max(a, b)


@pytest.mark.parametrize(
    ("status", "error", "kind", "reason"),
    [
        (299, None, DeliveryKind.DELIVERED, "HTTP 299"),
        (300, None, DeliveryKind.GIVE_UP, "HTTP 300"),
        (410, None, DeliveryKind.GONE, "HTTP 410 Gone"),
        (503, None, DeliveryKind.RETRY, "HTTP 503"),
        (None, None, DeliveryKind.RETRY, "no response"),
        (None, "TLS handshake failed", DeliveryKind.RETRY, "TLS handshake failed"),
    ],
)
def test_each_outcome_says_why(
    status: int | None, error: str | None, kind: DeliveryKind, reason: str
) -> None:
    outcome = classify(status, error=error)
    assert (outcome.kind, outcome.reason) == (kind, reason)


def test_a_retry_given_up_says_how_long_it_was_tried() -> None:
    late = FIRST + timedelta(days=7)
    assert classify(503, now=late).reason == "HTTP 503; retried for 7 days, 0:00:00"


@pytest.mark.parametrize(
    ("status", "headers"), [(None, None), (429, None), (503, {"Retry-After": "?"})]
)
def test_every_backoff_follows_the_configured_policy(
    status: int | None, headers: dict[str, str] | None
) -> None:
    policy = RetryPolicy(base_delay=timedelta(seconds=1), max_delay=timedelta(seconds=4))
    outcome = classify_delivery(status, headers, "timeout", 10, FIRST, NOW, Midpoint(), policy)
    assert outcome.retry_at == NOW + timedelta(seconds=2.5)


def test_a_retry_after_date_without_a_zone_is_read_in_gmt() -> None:
    assert parse_retry_after("Fri, 20 Nov 2026 09:10:00 -0000", NOW) == timedelta(hours=1)


@pytest.mark.parametrize(
    ("failures", "since", "parked"),
    [(1, timedelta(days=1), True), (0, timedelta(days=2), False), (-1, timedelta(days=2), False),
     (199, timedelta(hours=23), False)],
)  # fmt: skip
def test_one_failure_a_day_old_parks_a_host_and_none_never_does(
    failures: int, since: timedelta, parked: bool
) -> None:
    assert host_should_park(failures, NOW - since, NOW) is parked


def test_a_probes_jitter_stretches_its_delay() -> None:
    assert next_probe_at(0, NOW, Highest()) - NOW == timedelta(hours=1.1)
    assert next_probe_at(10, NOW, Highest()) - NOW == timedelta(hours=24 * 1.1)
