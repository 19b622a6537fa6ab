"""`quartiers` commands run on uvloop where it is installed, on asyncio's own loop elsewhere."""

from __future__ import annotations

import asyncio
import sys

import pytest

from quartiers import event_loop


async def loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_a_command_runs_on_uvloop_when_it_is_installed() -> None:
    assert event_loop.run(loop_module()).startswith("uvloop")


def test_without_uvloop_a_command_runs_on_asyncios_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a system where uvloop cannot be imported
    monkeypatch.setitem(sys.modules, "uvloop", None)
    # Then commands still run, on asyncio's default loop
    assert event_loop.run(loop_module()).startswith("asyncio")
