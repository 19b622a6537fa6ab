"""The share of an inbox worker each origin may hold: it grows by one with each item read at
once, starts over after a slow one, and never lets more than the least share be read at once."""

from __future__ import annotations

import asyncio

from inbox.origins import FAST_READ_SECONDS, OriginShares

ORIGIN = "mastodon.test"


def test_a_share_starts_at_the_least_and_grows_with_each_fast_read_up_to_the_most() -> None:
    shares = OriginShares(least=4, most=10)
    assert shares.share(ORIGIN) == 4
    for _ in range(4):
        shares.read(ORIGIN, 0.001)
    assert shares.share(ORIGIN) == 8
    for _ in range(10):
        shares.read(ORIGIN, 0.001)
    assert shares.share(ORIGIN) == 10
    assert shares.share("other.test") == 4


def test_one_slow_read_sets_the_share_back_to_the_least() -> None:
    shares = OriginShares(least=4, most=64)
    for _ in range(20):
        shares.read(ORIGIN, 0.001)
    shares.read(ORIGIN, FAST_READ_SECONDS)
    assert shares.share(ORIGIN) == 4


def test_an_idle_origin_keeps_a_grown_share_and_forgets_the_least_one() -> None:
    shares = OriginShares(least=2, most=64)
    shares.read(ORIGIN, 0.001)
    shares.read("other.test", FAST_READ_SECONDS)
    shares.idle(ORIGIN)
    shares.idle("other.test")
    assert shares.share(ORIGIN) == 3
    assert shares.share("other.test") == 2


async def test_an_idle_origin_lets_go_of_its_reader_unless_an_item_is_being_read() -> None:
    shares = OriginShares(least=1, most=64)
    # Given an origin whose one reading place is taken
    reader = shares.reading(ORIGIN)
    await reader.acquire()
    # When it turns idle, the reader in use is kept: a second read still waits for the first
    shares.idle(ORIGIN)
    assert shares.reading(ORIGIN) is reader
    reader.release()
    # And once no item is read, idle forgets it: the next read gets a new one
    shares.idle(ORIGIN)
    assert shares.reading(ORIGIN) is not reader


def test_idle_origins_at_the_least_share_are_not_remembered() -> None:
    # Given a thousand origins that came and went, each read slowly once
    shares = OriginShares(least=2, most=64)
    for number in range(1000):
        origin = f"h{number}.test"
        shares.reading(origin)
        shares.read(origin, FAST_READ_SECONDS)
        shares.idle(origin)
    # Then nothing is kept of them: a server that meets many origins does not grow
    assert shares.remembered() == 0
    # Nor of origins read quickly where the share cannot grow past the least
    fixed = OriginShares(least=2, most=2)
    for number in range(1000):
        fixed.read(f"h{number}.test", 0.001)
        fixed.idle(f"h{number}.test")
    assert fixed.remembered() == 0
    # While a grown share is kept across idleness
    shares.read(ORIGIN, 0.001)
    shares.idle(ORIGIN)
    assert shares.remembered() == 1


async def test_no_more_than_the_least_share_is_read_at_once_whatever_the_share() -> None:
    shares = OriginShares(least=2, most=64)
    for _ in range(30):
        shares.read(ORIGIN, 0.001)
    reading = 0
    most = 0
    release = asyncio.Event()

    async def read_one() -> None:
        nonlocal reading, most
        async with shares.reading(ORIGIN):
            reading += 1
            most = max(most, reading)
            await release.wait()
            reading -= 1

    tasks = [asyncio.create_task(read_one()) for _ in range(8)]
    await asyncio.sleep(0.01)
    assert reading == 2
    release.set()
    await asyncio.gather(*tasks)
    assert most == 2
