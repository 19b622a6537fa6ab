"""The claim loop both queue workers share: a worker that keeps up claims in batches."""

from __future__ import annotations

import asyncio

from storage.pipeline import ClaimLoop


class TrickleLoop(ClaimLoop):
    """One row due at every claim, finished at once: a queue fed as fast as it is emptied."""

    capacity = 100
    batch_size = 100
    min_claim = 16
    small_claim = 16

    def __init__(self) -> None:
        super().__init__()
        self.claims = 0

    def held_count(self) -> int:
        return 0

    async def claim_more(self, room: int) -> int:
        self.claims += 1
        self.room_freed()  # its row is done: room again at once
        return 1


async def run_for(loop: ClaimLoop, seconds: float) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(loop.run_loop(stop, idle_seconds=3600))
    await asyncio.sleep(seconds)
    stop.set()
    await running


async def test_after_a_small_claim_the_loop_lets_more_rows_arrive_before_claiming_again() -> None:
    # Given a worker that pauses 50 ms after a claim of fewer than small_claim rows
    pausing = TrickleLoop()
    pausing.linger_after_small_claim = 0.05

    # When it runs for half a second, fed one row at a time
    await run_for(pausing, 0.5)

    # Then it claimed about ten times, not once for every turn of the event loop
    assert 1 <= pausing.claims <= 12


async def test_without_a_pause_the_loop_claims_again_at_once() -> None:
    # Given the same worker without the pause (the delivery worker's default)
    eager = TrickleLoop()
    stop = asyncio.Event()
    running = asyncio.create_task(eager.run_loop(stop, idle_seconds=3600))

    # When the event loop turns 200 times (counted in turns, not seconds: a busy machine
    # slows the turns, not what happens in each)
    for _ in range(200):
        await asyncio.sleep(0)
    stop.set()
    await running

    # Then it claimed again every few turns, never waiting for time to pass
    assert eager.claims >= 40


class HoldingLoop(ClaimLoop):
    """One row due at every claim, held until the test finishes it; other rows finishing
    meanwhile (``room_freed``) wake the loop."""

    capacity = 100
    batch_size = 100
    min_claim = 1
    small_claim = 16
    linger_after_small_claim = 0.01

    def __init__(self) -> None:
        super().__init__()
        self.claims = 0
        self.held = 0

    def held_count(self) -> int:
        return self.held

    async def claim_more(self, room: int) -> int:
        self.claims += 1
        self.held += 1
        return 1

    def finish_rows(self) -> None:
        self.held = 0
        self.room_freed()


async def test_after_a_small_claim_the_loop_lets_its_rows_finish_before_claiming_again() -> None:
    # Given a worker that claimed one row and holds it
    holding = HoldingLoop()
    stop = asyncio.Event()
    running = asyncio.create_task(holding.run_loop(stop, idle_seconds=3600))
    try:
        while holding.claims < 1:  # noqa: ASYNC110 (the loop's first claim)
            await asyncio.sleep(0.001)

        # When other work finishes around it, long past the pause
        for _ in range(10):
            await asyncio.sleep(0.02)
            holding.room_freed()

        # Then it has not claimed again: a worker that keeps up claims what arrived meanwhile
        # together, once what it holds is done
        assert holding.claims == 1

        # When its row is finished, then it claims again
        holding.finish_rows()
        while holding.claims < 2:  # noqa: ASYNC110 (the loop's next claim)
            await asyncio.sleep(0.001)
    finally:
        stop.set()
        await running
