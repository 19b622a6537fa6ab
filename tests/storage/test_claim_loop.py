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

    # When it runs for a tenth of a second
    await run_for(eager, 0.1)

    # Then it claimed again at every turn
    assert eager.claims > 50
