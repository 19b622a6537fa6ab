"""Row ids in addresses: ``{name:int}`` in a route matches only what a row id can be.

Starlette's ``int`` takes any run of digits, and a number beyond PostgreSQL's ``integer``
(2,147,483,647) then fails in the database driver: a mistyped or hostile address answered by a
500. Ours takes at most nine digits, so a longer number is simply not found (404). It replaces
Starlette's ``int`` when :mod:`webui` is imported, before any route is built.
"""

from __future__ import annotations

from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.exceptions import HTTPException

from storage.integers import parse_row_id

ROW_ID_DIGITS = 9


class RowIdConvertor(IntegerConvertor):
    regex = f"[0-9]{{1,{ROW_ID_DIGITS}}}"


def install() -> None:
    register_url_convertor("int", RowIdConvertor())


def row_id(text: str) -> int:
    """A row id read from a form or an address, or a 404."""
    found = parse_row_id(text)
    if found is None:
        raise HTTPException(404)
    return found
