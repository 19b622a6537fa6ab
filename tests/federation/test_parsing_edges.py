"""Reading incoming documents field by field: every field lands where it belongs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from federation.errors import InvalidActivity
from federation.parsing import (
    EARLIEST_KEPT,
    LATEST_KEPT,
    ParsedActivity,
    ParsedActor,
    ParsedAttachment,
    ParsedObject,
    ParsedTag,
    is_kept_day,
    parse_activity,
    parse_actor,
    parse_datetime,
    parse_document,
    parse_object,
    url_of,
)

LEA = "https://paquis.test/users/lea"
CAFE = "https://paquis.test/groups/repair-cafe"


def test_every_field_of_an_activity_is_read() -> None:
    # Given a Create with every property we read, in the shapes servers send
    doc: dict[str, Any] = {
        "id": "https://paquis.test/activities/1",
        "type": ["Other", "Create"],
        "actor": [{"id": LEA, "type": "Person"}],
        "object": [3, {"id": "https://paquis.test/notes/1", "type": "Note"}],
        "target": CAFE,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": f"{LEA}/followers",
        "audience": [{"id": CAFE}],
        "published": "2026-12-01T10:00:00+01:00",
    }

    # When it is parsed
    activity = parse_activity(doc)

    # Then each field holds what the document says
    assert activity == ParsedActivity(
        id="https://paquis.test/activities/1",
        type="Create",
        actor_uri=LEA,
        object_uri="https://paquis.test/notes/1",
        object={"id": "https://paquis.test/notes/1", "type": "Note"},
        target=CAFE,
        to=["https://www.w3.org/ns/activitystreams#Public"],
        cc=[f"{LEA}/followers"],
        audience=[CAFE],
        published=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        raw=doc,
    )
    assert activity.raw is doc


def test_an_object_list_of_uris_gives_the_first_uri() -> None:
    activity = parse_activity(
        {"type": "Delete", "actor": LEA, "object": [7, "https://paquis.test/notes/2"]}
    )
    assert activity.object_uri == "https://paquis.test/notes/2"
    assert activity.object is None


def test_an_unknown_activity_type_is_kept_as_the_first_type() -> None:
    activity = parse_activity({"type": ["Wave", "Greet"], "actor": LEA})
    assert activity.type == "Wave"


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ([], "^activity is not a JSON object$"),
        ({"actor": LEA}, "^type is missing$"),
        ({"type": [], "actor": LEA}, "^type is missing$"),
        ({"type": "Follow"}, "^Follow has no actor$"),
        ({"type": "Follow", "actor": LEA, "id": ""}, "^id is not a non-empty string$"),
        ({"type": "Follow", "actor": LEA, "id": 3}, "^id is not a non-empty string$"),
    ],
)
def test_activity_refusals_say_exactly_why(doc: object, reason: str) -> None:
    with pytest.raises(InvalidActivity, match=reason):
        parse_activity(doc)


def test_every_field_of_an_actor_is_read() -> None:
    # Given a Mastodon-like actor with every property we read
    doc: dict[str, Any] = {
        "id": LEA,
        "type": ["Profile", "Person"],
        "preferredUsername": "lea",
        "name": "Léa",
        "summary": "<p>Voisine</p>",
        "url": "https://paquis.test/@lea",
        "inbox": f"{LEA}/inbox",
        "outbox": f"{LEA}/outbox",
        "followers": f"{LEA}/followers",
        "following": f"{LEA}/following",
        "endpoints": {"sharedInbox": "https://paquis.test/inbox"},
        "publicKey": [
            {"id": f"{LEA}#no-pem"},
            {"id": f"{LEA}#main-key", "owner": LEA, "publicKeyPem": "PEM"},
        ],
        "manuallyApprovesFollowers": True,
        "icon": [{"type": "Image", "url": "https://paquis.test/lea.png"}],
        "webfinger": "lea@paquis.test",
    }

    # When it is parsed
    actor = parse_actor(doc)

    # Then each field holds what the document says
    assert actor == ParsedActor(
        id=LEA,
        type="Person",
        preferred_username="lea",
        name="Léa",
        summary="<p>Voisine</p>",
        url="https://paquis.test/@lea",
        inbox=f"{LEA}/inbox",
        shared_inbox="https://paquis.test/inbox",
        outbox=f"{LEA}/outbox",
        followers=f"{LEA}/followers",
        following=f"{LEA}/following",
        public_key_id=f"{LEA}#main-key",
        public_key_pem="PEM",
        owner=LEA,
        manually_approves_followers=True,
        icon_url="https://paquis.test/lea.png",
        webfinger="lea@paquis.test",
        is_group=False,
        raw=doc,
    )


def test_a_sparse_actor_has_empty_fields() -> None:
    # Given an actor with only an id, a type and an inbox, and odd values elsewhere
    actor = parse_actor(
        {
            "id": CAFE,
            "type": "Group",
            "inbox": f"{CAFE}/inbox",
            "preferredUsername": "",
            "endpoints": "https://paquis.test/inbox",
            "publicKey": "https://paquis.test/key",
            "manuallyApprovesFollowers": "yes",
            "webfinger": 3,
        }
    )
    # Then nothing is invented
    assert actor.preferred_username is None
    assert actor.shared_inbox is None
    assert (actor.public_key_id, actor.public_key_pem, actor.owner) == (None, None, None)
    assert actor.manually_approves_followers is False
    assert actor.webfinger is None
    assert actor.icon_url is None
    assert actor.is_group is True


AVATAR = "https://paquis.test/lea.png"


@pytest.mark.parametrize(
    "icon",
    [
        AVATAR,
        {"type": "Link", "href": AVATAR},
        {"type": "Image", "url": AVATAR},
        {"type": "Image", "url": {"type": "Link", "href": AVATAR}},
        ["javascript:alert(1)", {"type": "Image", "url": AVATAR}],
    ],
)
def test_an_avatar_is_read_in_each_shape_servers_send(icon: object) -> None:
    # Given an actor whose icon is an address, a Link, an Image, or a list holding one
    actor = parse_actor({"id": CAFE, "type": "Group", "inbox": f"{CAFE}/inbox", "icon": icon})
    # Then its avatar is the image's web address
    assert actor.icon_url == AVATAR


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ("lea", "^actor is not a JSON object$"),
        ({"type": "Person", "inbox": "i"}, "^actor has no id$"),
        ({"id": LEA, "type": "Person"}, "^actor has no inbox$"),
        ({"id": LEA, "inbox": "i"}, "^type is missing$"),
    ],
)
def test_actor_refusals_say_exactly_why(doc: object, reason: str) -> None:
    with pytest.raises(InvalidActivity, match=reason):
        parse_actor(doc)


def test_every_field_of_an_object_is_read() -> None:
    # Given an Event with every property we read
    doc: dict[str, Any] = {
        "id": "https://paquis.test/events/1",
        "type": "Event",
        "attributedTo": CAFE,
        "content": "<p>Réparons ensemble</p>",
        "contentMap": {"fr": "<p>Réparons ensemble</p>"},
        "name": "Repair café",
        "summary": "Atelier",
        "url": {"type": "Link", "href": "https://paquis.test/@cafe/1"},
        "inReplyTo": {"id": "https://paquis.test/notes/0"},
        "published": "2026-12-01T08:00:00Z",
        "updated": "2026-12-01T09:00:00",
        "to": "https://www.w3.org/ns/activitystreams#Public",
        "cc": [f"{CAFE}/followers"],
        "audience": CAFE,
        "tag": [
            {"type": "Hashtag", "name": "#reparation", "href": "https://paquis.test/tags/r"},
            "#not-an-object",
            {"name": "no type"},
            {"type": "Mention", "id": LEA},
        ],
        "attachment": [
            "https://paquis.test/media/a.png",
            {
                "type": "Document",
                "mediaType": "image/jpeg",
                "href": "https://paquis.test/media/b.jpg",
                "name": "Affiche",
            },
            {"type": "Document", "mediaType": 3, "url": "javascript:alert(1)"},
            7,
        ],
        "sensitive": "true",
        "startTime": "2026-12-05T14:00:00+01:00",
        "endTime": "2026-12-05T17:00:00+01:00",
    }

    # When it is parsed
    parsed = parse_object(doc)

    # Then each field holds what the document says
    paris = timezone(timedelta(hours=1))
    assert parsed == ParsedObject(
        id="https://paquis.test/events/1",
        type="Event",
        attributed_to=CAFE,
        content="<p>Réparons ensemble</p>",
        content_map={"fr": "<p>Réparons ensemble</p>"},
        name="Repair café",
        summary="Atelier",
        url="https://paquis.test/@cafe/1",
        in_reply_to="https://paquis.test/notes/0",
        published=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        updated=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        to=["https://www.w3.org/ns/activitystreams#Public"],
        cc=[f"{CAFE}/followers"],
        audience=[CAFE],
        tags=[
            ParsedTag("Hashtag", "#reparation", "https://paquis.test/tags/r"),
            ParsedTag("Mention", None, LEA),
        ],
        attachments=[
            ParsedAttachment(None, "https://paquis.test/media/a.png", None, None),
            ParsedAttachment(
                "Document", "https://paquis.test/media/b.jpg", "image/jpeg", "Affiche"
            ),
            ParsedAttachment("Document", None, None, None),
        ],
        sensitive=False,
        start_time=datetime(2026, 12, 5, 14, 0, tzinfo=paris),
        end_time=datetime(2026, 12, 5, 17, 0, tzinfo=paris),
        raw=doc,
    )
    assert parsed.hashtags == ["#reparation"]
    assert parsed.mention_uris == [LEA]


def test_an_object_that_is_not_a_dictionary_is_refused_by_name() -> None:
    with pytest.raises(InvalidActivity, match=r"^object is not a JSON object$"):
        parse_object(["Note"])
    with pytest.raises(InvalidActivity, match=r"^document is not a JSON object$"):
        parse_document("Note")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" 2026-12-01T10:00:00+02:00 ", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
        ("2026-12-01T10:00:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("demain", None),
        (1764583200, None),
        # At the ends of the calendar: not a moment that can be stored, shown or counted from
        ("0001-01-01T00:00:00+01:00", None),  # before the first moment in UTC
        ("9999-12-31T23:59:59-01:00", None),  # after the last
        ("0001-06-01T00:00:00Z", None),
        ("9999-01-01T00:00:00Z", None),
        ("0002-01-01T00:00:00Z", datetime(2, 1, 1, tzinfo=UTC)),
        ("9998-12-31T00:00:00Z", datetime(9998, 12, 31, tzinfo=UTC)),
    ],
)
def test_dates_are_read_as_aware_moments(value: object, expected: datetime | None) -> None:
    moment = parse_datetime(value)
    assert moment == expected
    if moment is not None:
        assert moment.tzinfo is not None


def test_the_days_kept_run_from_the_first_to_the_last_day_kept_both_included() -> None:
    first, last = EARLIEST_KEPT.date(), LATEST_KEPT.date()
    assert is_kept_day(first) and is_kept_day(last)
    assert not is_kept_day(first - timedelta(days=1))
    assert not is_kept_day(last + timedelta(days=1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" https://paquis.test/a ", "https://paquis.test/a"),
        ("HTTP://paquis.test/a", "HTTP://paquis.test/a"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
        ("/relative/path", None),
        ("https://paquis.test:8443/a", "https://paquis.test:8443/a"),
        ("https", None),
        ({"href": "https://paquis.test/b"}, "https://paquis.test/b"),
        ({"href": 3}, None),
        ([["https://paquis.test/nested"], "https://paquis.test/flat"], "https://paquis.test/flat"),
        (
            [{"mediaType": "text/html", "href": "javascript:x"}, "https://paquis.test/c"],
            "https://paquis.test/c",
        ),
        ([{"mediaType": "text/html", "href": "https://paquis.test/h"}], "https://paquis.test/h"),
        (["javascript:x", 4], None),
        (5, None),
    ],
)
def test_only_web_links_are_kept(value: object, expected: str | None) -> None:
    # Given a url in one of the shapes servers send
    # When it is read
    # Then only an http(s) link comes back, trimmed
    assert url_of(value) == expected


def test_documents_are_told_apart_by_type() -> None:
    # An activity type without an actor is an object (a Mobilizon "Create" card, say)
    assert isinstance(parse_document({"type": "Create", "id": "https://x/1"}), ParsedObject)
    assert isinstance(parse_document({"type": "Create", "actor": LEA}), ParsedActivity)
    actor = {"type": ["Person"], "id": LEA, "inbox": f"{LEA}/inbox"}
    assert isinstance(parse_document(actor), ParsedActor)
    assert isinstance(parse_document({"type": "Note"}), ParsedObject)


def test_an_object_whose_id_could_not_be_kept_is_refused_and_overlong_links_left_out() -> None:
    long = f"{LEA}/" + "x" * 2048
    # An id longer than the 2,048 characters a row keeps cannot be stored: refused
    with pytest.raises(InvalidActivity, match=r"^an id longer than 2048 characters$"):
        parse_object({"type": "Note", "id": long})
    # Its page and the post it answers are only links: left out when that long
    note = parse_object({"type": "Note", "id": f"{LEA}/1", "url": long, "inReplyTo": long})
    assert (note.url, note.in_reply_to) == (None, None)
    # At exactly 2,048 characters, all are kept
    longest = long[:2048]
    note = parse_object({"type": "Note", "id": longest, "url": longest, "inReplyTo": longest})
    assert (note.id, note.url, note.in_reply_to) == (longest, longest, longest)
