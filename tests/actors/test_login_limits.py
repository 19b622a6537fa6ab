"""The login throttle: growing delays per address and account, per address, per account; a
known device counted on its own."""

from __future__ import annotations

from actors.login_limits import GrowingDelay, LoginAttempt, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: LoginThrottle, clock: Clock, attempt: LoginAttempt, times: int) -> list[float]:
    """Fail ``times`` times, each as soon as allowed; returns the waits asked before each."""
    waits = []
    for _ in range(times):
        wait = throttle.retry_after(attempt)
        waits.append(wait)
        clock.now += wait
        throttle.record_failure(attempt)
    return waits


def test_one_address_gets_growing_delays_after_five_failures() -> None:
    # Given a guesser at one account from one address
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    guesser = LoginAttempt("203.0.113.9", "gerante")

    # When he fails ten times, each time as soon as he may
    waits = fail(throttle, clock, guesser, 10)

    # Then five failures are free, then he waits 2 s, doubling
    assert waits == [0, 0, 0, 0, 0, 2, 4, 8, 16, 32]
    assert throttle.retry_after(guesser) == 64
    # and the owner, from her own address, is not slowed down
    assert throttle.retry_after(LoginAttempt("198.51.100.7", "gerante")) == 0


def test_delays_stop_growing_at_fifteen_minutes_and_are_forgotten_after_a_quiet_day() -> None:
    # Given a guesser who has failed very often
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    guesser = LoginAttempt("203.0.113.9", "gerante")
    fail(throttle, clock, guesser, 30)

    # Then he waits at most 15 minutes
    assert throttle.retry_after(guesser) == 15 * 60

    # And a day after his last failure, his count is gone
    clock.now += 24 * 3600
    assert throttle.retry_after(guesser) == 0


def test_many_addresses_against_one_account_slow_new_devices_but_not_known_ones() -> None:
    # Given guessers from 21 addresses, one failure each, at the same account
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for n in range(21):
        throttle.record_failure(LoginAttempt(f"203.0.113.{n}", "gerante"))

    # Then a new device anywhere waits, the owner's known device does not
    assert throttle.retry_after(LoginAttempt("198.51.100.7", "gerante")) > 0
    assert throttle.retry_after(LoginAttempt("203.0.113.0", "gerante", device="laptop")) == 0


def test_one_address_against_many_accounts_is_slowed() -> None:
    # Given one address failing at 21 different accounts
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for n in range(21):
        throttle.record_failure(LoginAttempt("203.0.113.9", f"resident{n}"))

    # Then that address waits, whatever account it tries next
    assert throttle.retry_after(LoginAttempt("203.0.113.9", "someone-else")) > 0
    assert throttle.retry_after(LoginAttempt("198.51.100.7", "someone-else")) == 0


def test_a_known_device_is_throttled_on_its_own() -> None:
    # Given a stolen device cookie used to guess
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    stolen = LoginAttempt("203.0.113.9", "gerante", device="laptop")

    # When it fails as fast as it may
    waits = fail(throttle, clock, stolen, 8)

    # Then it gets the same growing delays, and neither the account nor the address is counted
    assert waits == [0, 0, 0, 0, 0, 2, 4, 8]
    assert throttle.retry_after(LoginAttempt("203.0.113.9", "gerante")) == 0


def test_a_success_clears_the_account_and_the_pair_but_not_the_address() -> None:
    # Given an address that failed at two accounts, 21 times in all
    clock = Clock()
    throttle = LoginThrottle(per_address=GrowingDelay(free=20), clock=clock)
    for n in range(16):
        throttle.record_failure(LoginAttempt("203.0.113.9", f"resident{n}"))
    fail(throttle, clock, LoginAttempt("203.0.113.9", "amelie"), 5)

    # When one of them logs in successfully from there
    throttle.record_success(LoginAttempt("203.0.113.9", "amelie"))

    # Then that account is free again from elsewhere, but the address still waits
    assert throttle.retry_after(LoginAttempt("198.51.100.7", "amelie")) == 0
    assert throttle.retry_after(LoginAttempt("203.0.113.9", "amelie")) > 0


def test_usernames_are_counted_without_case_or_at_sign() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    fail(throttle, clock, LoginAttempt("203.0.113.9", "Gerante"), 6)
    assert throttle.retry_after(LoginAttempt("203.0.113.9", "@gerante")) > 0
