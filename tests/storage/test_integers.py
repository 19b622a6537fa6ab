"""Whole numbers read from text: only what an ``integer`` column keeps, and never an error."""

from __future__ import annotations

import pytest

from storage.integers import MAX_INTEGER, parse_row_id, parse_whole


@pytest.mark.parametrize(
    ("text", "whole", "row_id"),
    [
        ("0", 0, None),
        ("42", 42, 42),
        ("0042", 42, 42),
        ("٣", 3, 3),  # Arabic-Indic digits are digits: int() reads them
        ("2147483647", MAX_INTEGER, MAX_INTEGER),
        ("2147483648", None, None),
        ("99999999999999999999", None, None),
        ("9" * 5000, None, None),  # int() refuses more than 4,300 digits
        ("²", None, None),  # a digit for str.isdigit, not for int()
        ("-1", None, None),
        (" 1", None, None),
        ("1.0", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_only_numbers_an_integer_column_keeps_are_read(
    text: str | None, whole: int | None, row_id: int | None
) -> None:
    assert parse_whole(text) == whole
    assert parse_row_id(text) == row_id


def test_a_smaller_bound_is_kept_to() -> None:
    assert parse_whole("6", 6) == 6
    assert parse_whole("7", 6) is None
    assert parse_whole("10", 9) is None
