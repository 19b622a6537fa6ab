"""A column among a list of values that a remote server chose, whatever its length.

``column.in_(values)`` binds one parameter per value, and PostgreSQL's driver takes at most
32,767 of them in a statement: a note addressed to 33,000 people by name could not be stored,
and was retried until it ran out of attempts. :func:`among` binds a short list as ``in_`` does
and a long one as a single parameter: an array on PostgreSQL (``= ANY``), a JSON list read by
``json_each`` elsewhere (SQLite).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import Boolean, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

# Up to this many values are bound one by one, as in_ does: the statements of everyday traffic
# stay as they were. Far under the driver's limit, so a statement can hold several such lists.
BOUND_ONE_BY_ONE = 1_000


class _AmongMany(ColumnElement[bool]):
    """Both spellings of one test; the dialect compiling the statement picks its own."""

    type = Boolean()
    inherit_cache = True
    # what SQLAlchemy walks to cache the statement: both spellings, their parameters included
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy reads this list, and declares it so)
        ("as_array", InternalTraversal.dp_clauseelement),
        ("as_json", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, as_array: ColumnElement[bool], as_json: ColumnElement[bool]) -> None:
        self.as_array = as_array
        self.as_json = as_json


@compiles(_AmongMany)
def _as_json(element: _AmongMany, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.as_json, **kw)


@compiles(_AmongMany, "postgresql")
def _as_array(element: _AmongMany, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.as_array, **kw)


def among(
    column: QueryableAttribute[str] | ColumnElement[str], values: Collection[str]
) -> ColumnElement[bool]:
    """``column`` equals one of ``values`` (strings: addresses, names)."""
    if len(values) <= BOUND_ONE_BY_ONE:
        return column.in_(values)
    listed = list(values)
    as_array = column == any_(bindparam(None, listed, type_=ARRAY(column.type)))
    read = func.json_each(bindparam(None, json.dumps(listed))).table_valued("value")
    return _AmongMany(as_array, column.in_(select(read.c.value)))
