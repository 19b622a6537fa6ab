"""The event loop every `quartiers` command runs on: uvloop where it is installed, else
asyncio's own.

uvloop comes with uvicorn's standard extras (Linux and macOS). The server, its in-process
queue workers and `quartiers worker` spend much of their time in the loop itself — a request
accepted, a row claimed, a connection opened for each server of a fan-out — and uvloop runs
that part in C: a fan-out of 1,000 deliveries took about a quarter less time on it
(`bench/fanout.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

Result = TypeVar("Result")


def new_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None (asyncio's default loop) where uvloop is missing."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, Result]) -> Result:
    """Run ``main`` to its end on a new loop of the kind above, as :func:`asyncio.run` does."""
    with asyncio.Runner(loop_factory=new_loop_factory()) as runner:
        return runner.run(main)
