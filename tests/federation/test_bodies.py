"""Parsing a JSON body: a received activity is read as fast as orjson reads it, and the same
documents are taken as the standard library takes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from federation.bodies import (
    MAX_JSON_DEPTH,
    BodyNotJSON,
    declares_more_than,
    parse_json_body,
    parse_json_envelope,
    without_nul_escapes,
)

PARSERS = [parse_json_body, parse_json_envelope]

TAKEN_BY_THE_STANDARD_LIBRARY_ONLY = [
    pytest.param(b'{"id": "x", "n": NaN}', id="NaN"),
    pytest.param(b'{"content": "\\ud800"}', id="a lone surrogate"),
    pytest.param('{"content": "é"}'.encode("utf-16"), id="UTF-16 with its byte order mark"),
]


@pytest.mark.parametrize("body", TAKEN_BY_THE_STANDARD_LIBRARY_ONLY)
@pytest.mark.parametrize("parse", PARSERS)
def test_documents_the_fast_parser_refuses_are_still_taken(
    body: bytes, parse: Callable[[bytes], Any]
) -> None:
    # When a body only the standard library reads is parsed
    document = parse(body)
    # Then it is read as the standard library reads it
    assert json.dumps(document) == json.dumps(json.loads(body))


def test_a_body_keeps_its_integers_past_64_bits() -> None:
    # (a received activity's content is read again from its stored bytes, with this parser)
    body = b'{"n": 123456789012345678901234567890}'
    assert parse_json_body(body) == {"n": 123456789012345678901234567890}


@pytest.mark.parametrize("parse", PARSERS)
def test_an_activity_is_read_as_the_standard_library_reads_it(
    parse: Callable[[bytes], Any],
) -> None:
    body = json.dumps(
        {
            "@context": [
                "https://www.w3.org/ns/activitystreams",
                {"toot": "http://joinmastodon.org/ns#"},
            ],
            "id": "https://mastodon.test/users/alice/statuses/1/activity",
            "type": "Create",
            "object": {"type": "Note", "content": "<p>Grüezi 👋</p>", "tag": [], "n": 1.5},
        },
        ensure_ascii=False,
    ).encode()
    assert parse(body) == json.loads(body)


DEEPER = f"^JSON nested deeper than {MAX_JSON_DEPTH} levels$"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "^body is not JSON$"),
        (b"\xff\xfe\x00", "^body is not JSON$"),
        (nested(100_000), DEEPER),
        (nested(MAX_JSON_DEPTH + 1), DEEPER),
        (b'{"a": ' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1), DEEPER),
        (b'{"a": [' * 17 + b"1" + b"]}" * 17, DEEPER),
    ],
)
@pytest.mark.parametrize("parse", PARSERS)
def test_what_neither_reads_or_nests_too_deeply_is_refused_with_a_reason(
    body: bytes, reason: str, parse: Callable[[bytes], Any]
) -> None:
    with pytest.raises(BodyNotJSON, match=reason):
        parse(body)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" + b",".join([b"[]"] * 100) + b"]", id="many brackets, two levels"),
        pytest.param(
            b"[" + nested(MAX_JSON_DEPTH - 1) + b", [[]], {}]", id="at the bound, with siblings"
        ),
        pytest.param(b'{"a": [' * 16 + b"1" + b"]}" * 16, id="objects and lists at the bound"),
    ],
)
@pytest.mark.parametrize("parse", PARSERS)
def test_documents_within_the_bound_are_taken(body: bytes, parse: Callable[[bytes], Any]) -> None:
    assert parse(body) == json.loads(body)


@pytest.mark.parametrize("parse", PARSERS)
def test_a_document_at_the_bound_is_taken(parse: Callable[[bytes], Any]) -> None:
    assert parse(nested(MAX_JSON_DEPTH)) == json.loads(nested(MAX_JSON_DEPTH))


@pytest.mark.parametrize(
    ("declared", "more"),
    [
        ("100", False),
        ("101", True),
        ("000000000000000000100", False),  # leading zeros are no larger
        ("000000000000000000101", True),
        ("9" * 5000, True),  # int() refuses more than 4,300 digits
        ("²", False),  # not a number: the reading counts what comes
        ("-1", False),
        ("", False),
    ],
)
def test_a_declared_length_past_the_limit_is_seen_without_reading_any_number(
    declared: str, more: bool
) -> None:
    assert declares_more_than(declared, 100) is more


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        (rb'{"a": "x\u0000y"}', rb'{"a": "xy"}'),
        (rb'{"a\u0000": "\u0000\u0000"}', rb'{"a": ""}'),
        (rb'{"a": "x\\u0000y"}', rb'{"a": "x\\u0000y"}'),  # a backslash, then the text u0000
        (rb'{"a": "x\\\u0000y"}', rb'{"a": "x\\y"}'),  # a backslash, then a NUL
        (rb'{"a": "x\u00001"}', rb'{"a": "x1"}'),
        (b'{"a": "x"}', b'{"a": "x"}'),
    ],
)
def test_nul_characters_are_taken_out_of_json_and_nothing_else(body: bytes, kept: bytes) -> None:
    assert without_nul_escapes(body) == kept
    assert parse_json_body(body) == parse_json_envelope(body) == json.loads(kept)
