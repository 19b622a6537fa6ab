"""The inbox tests' own fixture: what the worker logged as ignored, and why."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

Ignored = Callable[[], list[str]]


@pytest.fixture
def ignored(caplog: pytest.LogCaptureFixture) -> Ignored:
    """The reasons, in order, the worker gave for the activities it ignored: what an operator
    reads to learn why a remote server's activity changed nothing here."""
    caplog.set_level(logging.INFO, logger="inbox.dispatch")

    def reasons() -> list[str]:
        return [
            str(record.args[-1])
            for record in caplog.records
            if record.name == "inbox.dispatch"
            and record.msg == "%s %s by %s ignored: %s"
            and isinstance(record.args, tuple)
        ]

    return reasons
