"""Case-insensitive header handling shared by signatures, digests and the client."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

HeadersInput = Mapping[str, str] | Iterable[tuple[str, str]]


def normalize_headers(headers: HeadersInput) -> dict[str, str]:
    """Lower-cased names; repeated fields joined with ", " as RFC 9110 §5.3 allows."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    merged: dict[str, str] = {}
    for name, value in pairs:
        key = name.strip().lower()
        text = value.strip()
        merged[key] = f"{merged[key]}, {text}" if key in merged else text
    return merged
