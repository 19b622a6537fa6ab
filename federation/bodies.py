"""Request bodies read with a cap: the inbox, the client-to-server outbox and the web forms.

A body is refused as soon as it passes its cap *while it is read*, so a client that sends
800 MB costs us the cap and no more: JSON bodies are kept in memory up to the cap, form
uploads are spooled to temporary files by the multipart parser, never beyond the cap either.
A declared ``Content-Length`` over the cap is refused before anything is read.

JSON is parsed here too, with a bound on nesting: a hundred thousand nested arrays must be a
400 with a reason, not a ``RecursionError`` in whatever walks the document next.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import Message

MAX_JSON_DEPTH = 32
"""Far deeper than any ActivityPub document we know (Mastodon, Lemmy, Mobilizon stay under 8)."""


class BodyTooLarge(Exception):
    """The body passed its cap; ``str()`` is the reason to answer with a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body larger than {limit} bytes")
        self.limit = limit


class BodyNotJSON(Exception):
    """The body is not a JSON document we take; ``str()`` is the reason to answer with a 400."""


def _check_declared_length(declared: str | None, limit: int) -> None:
    if declared is not None and declares_more_than(declared, limit):
        raise BodyTooLarge(limit)


def declares_more_than(declared: str, limit: int) -> bool:
    """A ``Content-Length`` past ``limit``; one that is not a number is left to the reading,
    which counts what comes."""
    if not (declared.isascii() and declared.isdigit()):
        return False
    # More digits than the limit has is more than it, without reading a number of any length.
    return len(declared.lstrip("0")) > len(str(limit)) or int(declared) > limit


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as more than ``limit`` bytes have arrived."""
    return await read_capped_stream(request.stream(), request.headers.get("content-length"), limit)


async def read_capped_stream(
    chunks: AsyncIterator[bytes], declared_length: str | None, limit: int
) -> bytes:
    """:func:`read_capped_body` of a request's stream whose ``Content-Length`` the caller has
    already read (the inbox reads every header once)."""
    _check_declared_length(declared_length, limit)
    gathered: list[bytes] = []
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge(limit)
        if chunk:
            gathered.append(chunk)
    # Most bodies come in one message: that one is not copied.
    return gathered[0] if len(gathered) == 1 else b"".join(gathered)


def capped_request(request: Request, limit: int) -> Request:
    """The same request, whose body stream raises BodyTooLarge past ``limit`` bytes.

    For readers that consume the stream themselves, like Starlette's form parser.
    """
    _check_declared_length(request.headers.get("content-length"), limit)
    receive = request.receive
    received = 0

    async def capped_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return Request(request.scope, capped_receive)


_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def without_nul_escapes(body: bytes) -> bytes:
    """``body`` without the JSON escapes of the NUL character, which no text we keep can hold
    (PostgreSQL refuses it in text and in jsonb) and no person writes. An escaped backslash
    followed by ``u0000`` is text, and stays."""
    return _NUL_ESCAPE.sub(rb"\1", body) if b"\\u0000" in body else body


def parse_json_body(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON document in ``body``, its strings without NUL characters; BodyNotJSON when it is
    not JSON or nested too deeply."""
    body = without_nul_escapes(body)
    return _bounded(_parse_with_the_standard_library(body, max_depth), body, max_depth)


def parse_json_envelope(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """:func:`parse_json_body` for a document whose ids and types are checked now and whose
    content is read again later from the stored bytes: a received activity.

    orjson reads it (the inbox is the busiest route, and the standard library's parser was a
    twentieth of its time there). What orjson refuses goes to the standard library, so the same
    documents are taken (``NaN``, lone surrogates, UTF-16); orjson reads an integer past 64 bits
    as a float, which changes no id or type.
    """
    body = without_nul_escapes(body)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        document = _parse_with_the_standard_library(body, max_depth)
    return _bounded(document, body, max_depth)


def _parse_with_the_standard_library(body: bytes, max_depth: int) -> Any:
    try:
        return json.loads(body)
    except RecursionError:
        raise BodyNotJSON(f"JSON nested deeper than {max_depth} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise BodyNotJSON("body is not JSON") from None


def _bounded(document: Any, body: bytes, max_depth: int) -> Any:
    if _may_nest_deeper(body, max_depth) and _depth_exceeds(document, max_depth):
        raise BodyNotJSON(f"JSON nested deeper than {max_depth} levels")
    return document


def _may_nest_deeper(body: bytes, max_depth: int) -> bool:
    """False when ``body`` has too few brackets to nest ``max_depth`` levels: most documents,
    which then need no walk."""
    return body.count(b"[") + body.count(b"{") > max_depth


def _depth_exceeds(document: Any, max_depth: int) -> bool:
    """Whether lists and objects nest more than ``max_depth`` levels (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
