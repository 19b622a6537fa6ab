"""Progress of long operations: a redrawn bar on a terminal, one log line per batch elsewhere."""

from __future__ import annotations

import io
import logging

import pytest

from quartiers.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_each_batch_is_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    # Given a progress of 2,500 events written to a stream that is not a terminal
    stream = io.StringIO()
    caplog.set_level(logging.INFO, logger="quartiers.progress")

    # When three batches are done
    with Progress("event dates", 2500, unit="events", stream=stream) as progress:
        for size in (1000, 1000, 500):
            progress.advance(size)

    # Then the log holds one line per batch, with the count so far, and the stream nothing
    assert [r.getMessage() for r in caplog.records if r.name == "quartiers.progress"] == [
        "event dates: 1000/2500 events (40%)",
        "event dates: 2000/2500 events (80%)",
        "event dates: 2500/2500 events (100%)",
    ]
    assert stream.getvalue() == ""


def test_on_a_terminal_one_bar_is_redrawn_then_its_line_ended(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a progress of 4 items on a terminal
    terminal = Terminal()
    caplog.set_level(logging.INFO, logger="quartiers.progress")

    # When two batches are done
    with Progress("demo neighbourhood", 4, unit="items", stream=terminal) as progress:
        progress.advance(1)
        progress.advance(3)

    # Then the bar was drawn twice on the same line, full at the end, and the line is ended
    drawn = terminal.getvalue()
    assert drawn.count("\r") == 2
    assert drawn.endswith("[" + "#" * 30 + "] 4/4 items (100%)\n")
    assert "[" + "#" * 7 + "." * 23 + "] 1/4 items (25%)" in drawn
    assert [r for r in caplog.records if r.name == "quartiers.progress"] == []


def test_an_unknown_total_counts_without_a_percentage(caplog: pytest.LogCaptureFixture) -> None:
    # Given a progress whose total is not known, off a terminal
    caplog.set_level(logging.INFO, logger="quartiers.progress")

    # When one batch is done
    Progress("import", None, stream=io.StringIO()).advance(50)

    # Then the line says how many so far
    assert [r.getMessage() for r in caplog.records if r.name == "quartiers.progress"] == [
        "import: 50"
    ]
