"""How much of an inbox worker each origin (a sender's server) may hold: a share that grows
while its items are read quickly, and falls back as soon as one waits on another server.

An origin starts at ``per_origin_concurrency`` items. Each of its items read in under
``FAST_READ_SECONDS`` (it needed nothing from elsewhere, or got it at once) lets it hold one
more, up to ``most``: an origin that sends thousands of votes doubles its share with each round
and soon fills the group commit's batches. One slow read sets it back to the start. Whatever
its share, at most ``per_origin_concurrency`` of its items are read at once: an origin that
turns slow never holds more than that many of the worker's reading places.

This is TCP's slow start applied to a queue: what the share protects is the rest of the
federation, which must never wait on one origin's slow fetches.
"""

from __future__ import annotations

import asyncio

FAST_READ_SECONDS = 1.0


class OriginShares:
    def __init__(self, least: int, most: int) -> None:
        self.least = least
        self.most = max(most, least)
        self._shares: dict[str, int] = {}
        self._readers: dict[str, asyncio.Semaphore] = {}

    def share(self, origin: str) -> int:
        """How many of ``origin``'s items the worker may hold now."""
        return self._shares.get(origin, self.least)

    def reading(self, origin: str) -> asyncio.Semaphore:
        """Held while one of ``origin``'s items is read: at most ``least`` at once."""
        reader = self._readers.get(origin)
        if reader is None:
            reader = self._readers[origin] = asyncio.Semaphore(self.least)
        return reader

    def read(self, origin: str, seconds: float) -> None:
        """One of ``origin``'s items was read in ``seconds``: its share grows or starts over."""
        if seconds < FAST_READ_SECONDS:
            self._shares[origin] = min(self.most, self.share(origin) + 1)
        else:
            self._shares.pop(origin, None)

    def remembered(self) -> int:
        """How many origins are kept in memory (a reader in use, or a share that grew)."""
        return len(self._shares.keys() | self._readers.keys())

    def idle(self, origin: str) -> None:
        """``origin`` has nothing left in the worker: forget its reader (a grown share stays, so
        a steady sender does not start over between two claims)."""
        reader = self._readers.get(origin)
        if reader is not None and not reader.locked():
            del self._readers[origin]
        if self._shares.get(origin) == self.least:
            del self._shares[origin]
