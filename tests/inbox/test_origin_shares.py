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
