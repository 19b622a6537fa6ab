"""The login throttle: growing delays per address and account, per address, per account; a
known device counted on its own."""

from __future__ import annotations

from sqlalchemy import func, select

from actors.login_limits import GrowingDelay, LoginAttempt, LoginThrottle, forget_quiet_failures
from storage.database import Database
from storage.models import LoginFailure


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def fail(
    throttle: LoginThrottle, clock: Clock, attempt: LoginAttempt, times: int
) -> list[float]:
    """Fail ``times`` times, each as soon as allowed; returns the waits asked before each."""
    waits = []
    for _ in range(times):
        wait = await throttle.retry_after(attempt)
        waits.append(wait)
        clock.now += wait
        await throttle.record_failure(attempt)
    return waits


async def test_one_address_gets_growing_delays_after_five_failures(database: Database) -> None:
    # Given a guesser at one account from one address
    clock = Clock()
    throttle = LoginThrottle(database, clock=clock)
    guesser = LoginAttempt("203.0.113.9", "gerante")

    # When he fails ten times, each time as soon as he may
    waits = await fail(throttle, clock, guesser, 10)

    # Then five failures are free, then he waits 2 s, doubling
    assert waits == [0, 0, 0, 0, 0, 2, 4, 8, 16, 32]
    assert await throttle.retry_after(guesser) == 64
    # and the owner, from her own address, is not slowed down
    assert await throttle.retry_after(LoginAttempt("198.51.100.7", "gerante")) == 0


async def test_delays_stop_growing_at_fifteen_minutes_and_are_forgotten_after_a_quiet_day(
    database: Database,
) -> None:
    # Given a guesser who has failed very often
    clock = Clock()
    throttle = LoginThrottle(database, clock=clock)
    guesser = LoginAttempt("203.0.113.9", "gerante")
    await fail(throttle, clock, guesser, 30)

    # Then he waits at most 15 minutes
    assert await throttle.retry_after(guesser) == 15 * 60

    # And a day after his last failure, his count is gone
    clock.now += 24 * 3600
    assert await throttle.retry_after(guesser) == 0


async def test_many_addresses_against_one_account_slow_new_devices_but_not_known_ones(
    database: Database,
) -> None:
    # Given guessers from 21 addresses, one failure each, at the same account
    clock = Clock()
    throttle = LoginThrottle(database, clock=clock)
    for n in range(21):
        await throttle.record_failure(LoginAttempt(f"203.0.113.{n}", "gerante"))

    # Then a new device anywhere waits, the owner's known device does not
    assert await throttle.retry_after(LoginAttempt("198.51.100.7", "gerante")) > 0
    assert await throttle.retry_after(LoginAttempt("203.0.113.0", "gerante", device="laptop")) == 0


async def test_one_address_against_many_accounts_is_slowed(database: Database) -> None:
    # Given one address failing at 21 different accounts
    clock = Clock()
    throttle = LoginThrottle(database, clock=clock)
    for n in range(21):
        await throttle.record_failure(LoginAttempt("203.0.113.9", f"resident{n}"))

    # Then that address waits, whatever account it tries next
    assert await throttle.retry_after(LoginAttempt("203.0.113.9", "someone-else")) > 0
    assert await throttle.retry_after(LoginAttempt("198.51.100.7", "someone-else")) == 0


async def test_a_known_device_is_throttled_on_its_own(database: Database) -> None:
    # Given a stolen device cookie used to guess
    clock = Clock()
    throttle = LoginThrottle(database, clock=clock)
    stolen = LoginAttempt("203.0.113.9", "gerante", device="laptop")

    # When it fails as fast as it may
    waits = await fail(throttle, clock, stolen, 8)

    # Then it gets the same growing delays, and neither the account nor the address is counted
    assert waits == [0, 0, 0, 0, 0, 2, 4, 8]
    assert await throttle.retry_after(LoginAttempt("203.0.113.9", "gerante")) == 0


async def test_a_success_clears_the_account_and_the_pair_but_not_the_address(
    database: Database,
) -> None:
    # Given an address that failed at two accounts, 21 times in all
    clock = Clock()
    throttle = LoginThrottle(database, per_address=GrowingDelay(free=20), clock=clock)
    for n in range(16):
        await throttle.record_failure(LoginAttempt("203.0.113.9", f"resident{n}"))
    await fail(throttle, clock, LoginAttempt("203.0.113.9", "amelie"), 5)

    # When one of them logs in successfully from there
    await throttle.record_success(LoginAttempt("203.0.113.9", "amelie"))

    # Then that account is free again from elsewhere, but the address still waits
    assert await throttle.retry_after(LoginAttempt("198.51.100.7", "amelie")) == 0
    assert await throttle.retry_after(LoginAttempt("203.0.113.9", "amelie")) > 0


async def test_usernames_are_counted_without_case_or_at_sign(database: Database) -> None:
    clock = Clock()
    throttle = LoginThrottle(database, clock=clock)
    await fail(throttle, clock, LoginAttempt("203.0.113.9", "Gerante"), 6)
    assert await throttle.retry_after(LoginAttempt("203.0.113.9", "@gerante")) > 0


async def test_counts_a_quiet_day_old_are_deleted_and_others_kept(database: Database) -> None:
    # Given one guesser a day and a second ago, and one a minute ago
    clock = Clock()
    throttle = LoginThrottle(database, clock=clock)
    await throttle.record_failure(LoginAttempt("203.0.113.9", "gerante"))
    clock.now += 24 * 3600 - 60
    await throttle.record_failure(LoginAttempt("198.51.100.7", "amelie"))
    clock.now += 61

    # When the counts are tidied
    async with database.transaction() as session:
        gone = await forget_quiet_failures(session, clock.now)

    # Then the first guesser's three counts are gone, the second's three kept
    assert gone == 3
    async with database.session() as session:
        keys = set(await session.scalars(select(LoginFailure.key)))
    assert keys == {"pair:198.51.100.7 amelie", "address:198.51.100.7", "account:amelie"}


async def test_a_username_of_any_length_is_counted(database: Database) -> None:
    # Given a login form whose name field holds ten thousand characters
    clock = Clock()
    throttle = LoginThrottle(database, clock=clock)
    long = LoginAttempt("203.0.113.9", "x" * 10_000)

    # When it fails six times
    waits = await fail(throttle, clock, long, 6)

    # Then it is counted like any other name, under a key the table can hold
    assert waits == [0, 0, 0, 0, 0, 2]
    async with database.session() as session:
        longest = await session.scalar(select(func.max(func.length(LoginFailure.key))))
    assert longest is not None and longest <= 400
