"""Case-insensitive header handling shared by signatures, digests and the client."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

HeadersInput = Mapping[str, str] | Iterable[tuple[str, str]]


class NormalizedHeaders(dict[str, str]):
    """Headers :func:`normalize_headers` has already lower-cased and merged."""


def read_headers(headers: HeadersInput) -> NormalizedHeaders:
    """The headers to read (never to change): those already normalized as they are, any
    others through :func:`normalize_headers`."""
    return headers if isinstance(headers, NormalizedHeaders) else normalize_headers(headers)


def normalize_headers(headers: HeadersInput) -> NormalizedHeaders:
    """Lower-cased names; repeated fields joined with ", " as RFC 9110 §5.3 allows.

    Always a new mapping (callers add to it); headers normalized before are copied as they are,
    so a request's headers are read once however many checks look at them.
    """
    if isinstance(headers, NormalizedHeaders):
        return NormalizedHeaders(headers)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    merged = NormalizedHeaders()
    for name, value in pairs:
        key = name.strip().lower()
        text = value.strip()
        merged[key] = f"{merged[key]}, {text}" if key in merged else text
    return merged
