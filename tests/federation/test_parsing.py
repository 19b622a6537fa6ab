"""Lenient parsing: the shapes other servers send, the few things we refuse, and random JSON."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.errors import InvalidActivity
from federation.parsing import (
    parse_activity,
    parse_actor,
    parse_document,
    parse_object,
    url_of,
)

ACTOR = "https://paquis.example/actors/alice"


def test_to_and_cc_as_string_or_list() -> None:
    activity = parse_activity(
        {
            "type": "Like",
            "actor": ACTOR,
            "object": "https://x/1",
            "to": "as:Public",
            "cc": [ACTOR + "/followers", {"id": "https://x/g"}],
        }
    )
    assert activity.to == ["as:Public"]
    assert activity.cc == [ACTOR + "/followers", "https://x/g"]
    assert activity.id is None and activity.object is None


def test_type_list_and_embedded_actor() -> None:
    activity = parse_activity(
        {
            "id": "https://x/a",
            "type": ["Create", "Other"],
            "actor": {"id": ACTOR},
            "object": {"id": "https://x/n", "type": "Note"},
            "target": {"id": "https://x/c"},
            "audience": "https://x/g",
            "published": "2026-01-01T00:00:00",
        }
    )
    assert activity.type == "Create" and activity.actor_uri == ACTOR
    assert activity.object == {"id": "https://x/n", "type": "Note"}
    assert activity.target == "https://x/c" and activity.audience == ["https://x/g"]
    assert activity.published is not None and activity.published.tzinfo is not None


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ([], "not a JSON object"),
        ({"actor": ACTOR}, "type"),
        ({"type": "Follow"}, "actor"),
        ({"type": "Follow", "actor": 3}, "actor"),
        ({"type": "Follow", "actor": ACTOR, "id": 5}, "id"),
    ],
)
def test_activity_refusals_carry_a_reason(doc: object, reason: str) -> None:
    with pytest.raises(InvalidActivity, match=reason) as caught:
        parse_activity(doc)
    assert caught.value.reason


def test_actor_fields() -> None:
    actor = parse_actor(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": ACTOR,
            "type": ["Group"],
            "preferredUsername": "repair-cafe",
            "name": "Repair Café",
            "inbox": ACTOR + "/inbox",
            "outbox": ACTOR + "/outbox",
            "followers": ACTOR + "/followers",
            "endpoints": {"sharedInbox": "https://paquis.example/inbox"},
            "publicKey": [{"id": ACTOR + "#main-key", "owner": ACTOR, "publicKeyPem": "PEM"}],
            "manuallyApprovesFollowers": False,
            "webfinger": "repair-cafe@paquis.example",
            "icon": {"type": "Image", "url": "https://paquis.example/icon.png"},
            "url": [
                {"type": "Link", "mediaType": "text/html", "href": "https://paquis.example/@rc"}
            ],
        }
    )
    assert actor.is_group and actor.type == "Group"
    assert actor.shared_inbox == "https://paquis.example/inbox"
    assert (actor.public_key_id, actor.public_key_pem, actor.owner) == (
        ACTOR + "#main-key",
        "PEM",
        ACTOR,
    )
    assert actor.webfinger == "repair-cafe@paquis.example"
    assert actor.icon_url == "https://paquis.example/icon.png"
    assert actor.url == "https://paquis.example/@rc"
    assert actor.manually_approves_followers is False


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "Person", "inbox": "https://x/inbox"},
        {"id": ACTOR, "type": "Person"},
        {"id": ACTOR, "type": "Person", "inbox": None},
        {"id": ACTOR, "inbox": "https://x/inbox"},
    ],
)
def test_actor_refusals(doc: dict[str, Any]) -> None:
    with pytest.raises(InvalidActivity):
        parse_actor(doc)


def test_object_fields() -> None:
    note = parse_object(
        {
            "id": "https://x/n",
            "type": "Note",
            "attributedTo": [{"type": "Person", "id": ACTOR}, "https://x/g"],
            "content": "<p>Salut</p>",
            "contentMap": {"fr": "<p>Salut</p>", "en": 3},
            "tag": [
                {"type": "Hashtag", "name": "#troc"},
                {"type": "Mention", "href": ACTOR},
                "junk",
            ],
            "attachment": {"type": "Document", "mediaType": "image/png", "url": "https://x/a.png"},
            "sensitive": True,
            "startTime": "2026-12-01T18:00:00+01:00",
            "updated": "nonsense",
        }
    )
    assert note.attributed_to == ACTOR
    assert note.content_map == {"fr": "<p>Salut</p>"}
    assert note.hashtags == ["#troc"] and note.mention_uris == [ACTOR]
    assert note.attachments[0].url == "https://x/a.png"
    assert note.attachments[0].media_type == "image/png"
    assert note.sensitive and note.start_time is not None and note.updated is None


def test_url_of_prefers_html_links() -> None:
    links = [
        {"type": "Link", "mediaType": "application/x-mpegURL", "href": "https://x/v.m3u8"},
        {"type": "Link", "mediaType": "text/html", "href": "https://x/w"},
    ]
    assert url_of(links) == "https://x/w"
    assert url_of("https://x") == "https://x" and url_of(None) is None


def test_parse_document_dispatches_on_type() -> None:
    assert type(parse_document({"type": "Follow", "actor": ACTOR})).__name__ == "ParsedActivity"
    assert (
        type(parse_document({"type": "Person", "id": ACTOR, "inbox": "i"})).__name__
        == "ParsedActor"
    )
    assert type(parse_document({"type": "Event"})).__name__ == "ParsedObject"
    # Mobilizon's events name their organiser as "actor": still an object, not an activity
    assert type(parse_document({"type": "Event", "actor": ACTOR})).__name__ == "ParsedObject"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
key_names = st.sampled_from(
    [
        "id",
        "type",
        "actor",
        "object",
        "to",
        "cc",
        "audience",
        "target",
        "published",
        "inbox",
        "endpoints",
        "publicKey",
        "attributedTo",
        "tag",
        "attachment",
        "url",
        "icon",
        "contentMap",
        "startTime",
        "name",
        "preferredUsername",
        "@context",
    ]
)
shaped_docs = st.dictionaries(key_names, json_values, max_size=10)


@settings(max_examples=200, deadline=None)
@given(doc=json_values | shaped_docs)
def test_random_json_raises_only_invalid_activity(doc: object) -> None:
    for parse in (parse_activity, parse_actor, parse_object, parse_document):
        with contextlib.suppress(InvalidActivity):
            parse(doc)
