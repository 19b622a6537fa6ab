"""Whole numbers read from addresses, query strings and forms, within what our columns keep.

Every id and count column is PostgreSQL's ``integer``. Its driver refuses a larger number as a
query argument, so a number beyond it, mistyped or hostile, would be a 500 rather than "no such
row". ``str.isdigit`` is not enough either: it takes ``²``, which ``int`` refuses, and ``int``
refuses more than 4,300 digits.
"""

from __future__ import annotations

MAX_INTEGER = 2_147_483_647
"""The largest value of PostgreSQL's ``integer``: the type of every id."""


def parse_whole(text: object, most: int = MAX_INTEGER) -> int | None:
    """``text`` as a whole number from 0 to ``most``, or None: no sign, no space, no fraction."""
    if not isinstance(text, str) or not text.isdecimal() or len(text) > len(str(most)):
        return None
    value = int(text)
    return value if value <= most else None


def parse_row_id(text: object) -> int | None:
    """A row id (from 1 to :data:`MAX_INTEGER`), or None for anything that cannot be one."""
    return parse_whole(text) or None
