"""A quartier's area on a map: the box its streets fit in, as NodeInfo and the directory give it.

Written ``south,west,north,east`` in degrees in the configuration (``46.205,6.140,46.215,6.155``
for the Pâquis); on the wire, an object with those four names. Read leniently from other
servers: anything that is not four numbers of a real box is no area at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SIDES = ("south", "west", "north", "east")


@dataclass(frozen=True, slots=True)
class Area:
    south: float
    west: float
    north: float
    east: float

    def as_json(self) -> dict[str, float]:
        return {side: round(getattr(self, side), 6) for side in SIDES}

    @property
    def center(self) -> tuple[float, float]:
        return ((self.south + self.north) / 2, (self.west + self.east) / 2)


def _box(numbers: list[Any]) -> Area | None:
    if len(numbers) != 4 or any(isinstance(n, bool) for n in numbers):
        return None
    try:
        south, west, north, east = (float(n) for n in numbers)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(n) for n in (south, west, north, east)):
        return None
    if not -90 <= south < north <= 90 or not -180 <= west < east <= 180:
        return None
    return Area(south, west, north, east)


def parse_area(text: str) -> Area | None:
    """``"south,west,north,east"`` → an :class:`Area`; None for an empty or impossible one."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 4 or not all(parts):
        return None
    return _box(parts)


def area_from_json(value: object) -> Area | None:
    """The ``area`` object of another server's NodeInfo or directory, or None."""
    if not isinstance(value, dict):
        return None
    numbers = [value.get(side) for side in SIDES]
    if not all(isinstance(n, int | float) for n in numbers):
        return None
    return _box(numbers)
