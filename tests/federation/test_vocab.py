"""AS2 constants and lenient accessors."""

from __future__ import annotations

import pytest

from federation import vocab
from federation.vocab import (
    DEFAULT_CONTEXT,
    PUBLIC,
    as_list,
    build_context,
    first_str,
    id_of,
    ids_of,
    is_activitypub_media_type,
    is_public,
    origin_of,
    same_origin,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/activity+json", True),
        ("application/activity+json; charset=utf-8", True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
        ('text/html, application/ld+json;profile="https://www.w3.org/ns/activitystreams"', True),
        ("APPLICATION/ACTIVITY+JSON", True),
        ("application/ld+json", False),
        # the profile among other parameters, and a profile whose address has a query
        ('application/ld+json; charset=utf-8; profile="https://www.w3.org/ns/activitystreams"',
         True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams?v=2"', True),
        ('application/ld+json;charset=utf-8;profile="https://www.w3.org/ns/activitystreams"', True),
        # the ActivityStreams address under another parameter, or another profile
        ('application/ld+json; rel="https://www.w3.org/ns/activitystreams"', False),
        ('application/ld+json; profile="https://schema.org"', False),
        ("application/json", False),
        ("text/html", False),
        ("", False),
        (None, False),
    ],
)  # fmt: skip
def test_is_activitypub_media_type(header: str | None, expected: bool) -> None:
    assert is_activitypub_media_type(header) is expected


def test_public_aliases() -> None:
    assert all(is_public(v) for v in (PUBLIC, "as:Public", "Public"))
    assert not is_public("https://example.com/followers")


def test_context_carries_our_terms_and_is_a_fresh_copy() -> None:
    context = build_context()
    terms = context[2]
    assert context[:2] == ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
    assert {"toot", "manuallyApprovesFollowers", "sharedInbox"} <= set(terms)
    terms["extra"] = "x"
    assert "extra" not in DEFAULT_CONTEXT[2]


def test_id_accessors() -> None:
    assert id_of("https://a/1") == "https://a/1"
    assert id_of({"id": "https://a/2", "type": "Note"}) == "https://a/2"
    assert id_of({"type": "Link", "href": "https://a/3"}) == "https://a/3"
    assert id_of([{"type": "Person"}, "https://a/4"]) == "https://a/4"
    assert id_of(None) is None and id_of("") is None and id_of(3) is None
    assert id_of({"id": ""}) is None and id_of({"id": 5}) is None
    # (a list inside the list is no reference: ids are not looked for in it)
    assert ids_of(["https://a/1", {"id": "https://a/2"}, "https://a/1", 5, ["https://a/3"]]) == [
        "https://a/1",
        "https://a/2",
    ]
    assert ids_of("https://a/1") == ["https://a/1"]
    assert as_list(None) == [] and as_list("x") == ["x"] and as_list([1]) == [1]
    assert first_str(["", "b"]) == "" and first_str([1, "b"]) == "b" and first_str(1) is None


@pytest.mark.parametrize(
    ("uri", "origin"),
    [
        ("https://Paquis.Example/users/a", "https://paquis.example"),
        ("https://paquis.example:443/a", "https://paquis.example"),
        ("http://paquis.test:8000/a", "http://paquis.test:8000"),
        ("https://[::1]:8443/a", "https://[::1]:8443"),
        ("not a uri", None),
        ("https://host:99999/", None),
    ],
)
def test_origin_of(uri: str, origin: str | None) -> None:
    assert origin_of(uri) == origin


@pytest.mark.parametrize("value", [None, 5, ["https://a.example/x"], {"id": "https://a.example"}])
def test_what_is_not_a_string_has_no_origin(value: object) -> None:
    # (ids come from documents where any JSON value can stand)
    assert origin_of(value) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "uri",
    [
        "x:y://h/p", "urn:x://host", "a/b://host/c", "https://ho\tst/p", "https://host\n/x",
        "https:/\t/host/x", "https://host?q=1/2", "https://host#frag/x", "https://u:p@host:81/x",
        "https://host:99999/", "  https://Host/x", "//host/x", "https://", "https://[::1]/x",
        "HTTPS://EXAMPLE.org", "https://host/a://b/c", "https://host:8443?x", "mailto:a@b.c",
        "https://a.example/users/u1/statuses/9#create", "http://h:80", "https://h:/x",
    ],
)  # fmt: skip
def test_the_origin_of_an_id_depends_only_on_its_part_up_to_the_authority(uri: str) -> None:
    # the same as the whole URI read by the cached reading behind origin_of
    assert origin_of(uri) == vocab._origin_of(uri)


@pytest.mark.parametrize(
    ("uri", "cut"),
    [
        ("https://a.example/users/u1/statuses/9#create", "https://a.example"),
        ("https://a.example/users/u1/statuses/10/activity", "https://a.example"),
        ("https://host/a?b#c", "https://host"),
        ("https://host/share?to=https://other.example/x", "https://host"),
        ("https://host?q=1/2", "https://host"),
        ("https://host#frag/x", "https://host"),
        ("https://u:p@host:81/x", "https://u:p@host:81"),
        ("https:///x", "https://"),
        ("://host/x", "://host"),
        ("not a uri", "not a uri"),
    ],
)
def test_every_id_of_a_sender_shares_one_cached_origin(uri: str, cut: str) -> None:
    # Given ids of one server, each of a sender's activities with its own
    # When the part its origin depends on is cut
    # Then it ends with the authority, so all of them share one answer kept in memory
    assert vocab._up_to_authority(uri) == cut


def test_same_origin() -> None:
    assert same_origin("https://a.example/x", "https://A.example:443/y")
    assert not same_origin("https://a.example/x", "http://a.example/x")
    assert not same_origin("https://a.example/x", "https://b.example/x")
    assert not same_origin(None, "https://a.example")
