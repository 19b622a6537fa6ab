"""Progress of long operations (a migration's backfill, the demo, imports): a bar that redraws
itself on a terminal, one log line per batch anywhere else (a journal, a file, a pipe).

Callers advance it once per batch they finish; what is shown depends only on where stderr goes.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import TextIO

LOGGER = logging.getLogger("quartiers.progress")
BAR_WIDTH = 30


class Progress:
    """``total`` units of work named ``label``; ``advance(count)`` after each batch, then ``finish``."""

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        unit: str = "",
        stream: TextIO | None = None,
        logger: logging.Logger = LOGGER,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.logger = logger
        self.on_terminal = self.stream.isatty()
        self._drawn = False

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.on_terminal:
            self.stream.write("\r" + self._bar())
            self.stream.flush()
            self._drawn = True
        else:
            self.logger.info("%s: %s", self.label, self._count())

    def finish(self) -> None:
        """Ends the bar's line on a terminal (a log needs nothing more)."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish()

    def _count(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if not self.total:
            return f"{self.done}{unit}"
        percent = min(100, self.done * 100 // self.total)
        return f"{self.done}/{self.total}{unit} ({percent}%)"

    def _bar(self) -> str:
        if not self.total:
            return f"{self.label}: {self._count()}"
        filled = min(BAR_WIDTH, self.done * BAR_WIDTH // self.total)
        return f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self._count()}"
